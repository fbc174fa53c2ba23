/** The MongoDB adapter's App Home and metrics queries, checked without a server: filters, order, limits. */
import { describe, expect, it, vi } from 'vitest';
import { INDEXES } from '../../src/store/mongodb/indexes.js';
import { MongoOwnership } from '../../src/store/mongodb/ownership.js';
import { MongoPermissions } from '../../src/store/mongodb/permissions.js';
import { MongoRequests } from '../../src/store/mongodb/requests.js';
import { MongoTechnicalUsers } from '../../src/store/mongodb/technical-users.js';

function fakeCollection(count = 0) {
  const cursor = { sort: vi.fn(), limit: vi.fn(), toArray: vi.fn(async () => []) };
  cursor.sort.mockReturnValue(cursor);
  cursor.limit.mockReturnValue(cursor);
  const col = { find: vi.fn(() => cursor), countDocuments: vi.fn(async () => count) };
  return { col, cursor, as: () => col as any };
}
const keys = (collection: keyof typeof INDEXES, name: string) => Object.entries(INDEXES[collection].find((i) => i.name === name)!.key as Record<string, number>);
const injected = { $gt: '' } as unknown as string;

describe('MongoDB App Home and metrics queries', () => {
  it('requests.listByWorkspace filters by workspace (and status, requester), newest first, limited', async () => {
    const f = fakeCollection();
    const repo = new MongoRequests(f.as());
    await repo.listByWorkspace('ws-1', { status: 'PENDING', limit: 10 });
    expect(f.col.find).toHaveBeenLastCalledWith({ workspaceId: 'ws-1', status: 'PENDING' });
    expect(f.cursor.sort).toHaveBeenLastCalledWith({ createdAt: -1, _id: -1 });
    expect(f.cursor.limit).toHaveBeenLastCalledWith(10);
    await repo.listByWorkspace('ws-1', { requester: 'U1', limit: 5 });
    expect(f.col.find).toHaveBeenLastCalledWith({ workspaceId: 'ws-1', requester: 'U1' });
    expect(await repo.listByWorkspace(injected, { limit: 5 })).toEqual([]);
    expect(await repo.listByWorkspace('ws-1', { requester: injected, limit: 5 })).toEqual([]);
    expect(f.col.find).toHaveBeenCalledTimes(2);
    // Each filter has its index, in the sort's direction.
    expect(keys('requests', 'workspaceId_status_createdAt')).toEqual([['workspaceId', 1], ['status', 1], ['createdAt', -1]]);
    expect(keys('requests', 'workspaceId_requester_createdAt')).toEqual([['workspaceId', 1], ['requester', 1], ['createdAt', -1]]);
  });

  it('ownership.update sets the new owner and the transfers made in one findOneAndUpdate on the version', async () => {
    const col = { findOneAndUpdate: vi.fn(async () => null) };
    const applied = [{ id: 'req-1', at: new Date(2), before: { owner: 'U1' }, after: { owner: 'U2' } }];
    expect(await new MongoOwnership(col as any).update('tu-1', 4, { owner: 'U2', ownerSource: 'transfer', applied })).toBeNull();
    expect(col.findOneAndUpdate).toHaveBeenCalledWith(
      { _id: 'tu-1', version: 4 }, { $set: { owner: 'U2', ownerSource: 'transfer', applied }, $inc: { version: 1 } }, { returnDocument: 'after' },
    );
  });

  it('technicalUsers.listByExpiry reads users with a token, soonest first, through its index', async () => {
    const f = fakeCollection();
    await new MongoTechnicalUsers(f.as()).listByExpiry('ws-1', 15);
    expect(f.col.find).toHaveBeenCalledWith({ workspaceId: 'ws-1', 'token.expiresAt': { $type: 'date' } });
    expect(f.cursor.sort).toHaveBeenCalledWith({ 'token.expiresAt': 1 });
    expect(f.cursor.limit).toHaveBeenCalledWith(15);
    expect(keys('technicalUsers', 'workspaceId_token.expiresAt')).toEqual([['workspaceId', 1], ['token.expiresAt', 1]]);
  });

  it('technicalUsers.countTokensExpiringBefore makes one indexed count per bound, leaving revoked tokens out', async () => {
    const f = fakeCollection(3);
    const bounds = [new Date(1), new Date(2)];
    expect(await new MongoTechnicalUsers(f.as()).countTokensExpiringBefore(bounds)).toEqual([3, 3]);
    expect(f.col.countDocuments).toHaveBeenCalledWith({ 'token.expiresAt': { $lt: bounds[0] }, 'token.revokedAt': null });
    expect(keys('technicalUsers', 'token.expiresAt')).toEqual([['token.expiresAt', 1]]);
  });

  it('grant queries read only documents under a grant, through the partial grant indexes', async () => {
    const f = fakeCollection(2);
    const repo = new MongoPermissions(f.as());
    const now = new Date(5);
    await repo.listGrantsDue(now, 50);
    expect(f.col.find).toHaveBeenLastCalledWith({ 'grant.until': { $type: 'date', $lte: now } });
    expect(f.cursor.sort).toHaveBeenLastCalledWith({ 'grant.until': 1 });
    expect(f.cursor.limit).toHaveBeenLastCalledWith(50);
    await repo.listGrants('ws-1', 20);
    expect(f.col.find).toHaveBeenLastCalledWith({ workspaceId: 'ws-1', 'grant.until': { $type: 'date' } });
    expect(await repo.countGrants()).toBe(2);
    expect(f.col.countDocuments).toHaveBeenLastCalledWith({ 'grant.until': { $type: 'date' } });
    expect(await repo.listGrants(injected, 20)).toEqual([]);
    expect(await repo.listGrantsDue('soon' as unknown as Date, 20)).toEqual([]);
    expect(f.col.find).toHaveBeenCalledTimes(2);
    for (const collection of ['permissions', 'technicalUsers'] as const) {
      const idx = INDEXES[collection].find((i) => i.name === 'grant.until')!;
      expect(idx.partialFilterExpression).toEqual({ 'grant.until': { $type: 'date' } });
      expect(keys(collection, 'workspaceId_grant.until')).toEqual([['workspaceId', 1], ['grant.until', 1]]);
    }
  });

  it('requests: the webhooks\' outbox is pushed in the compare-and-set, listed through unnoted.at, and pulled one status at a time', async () => {
    const f = fakeCollection();
    const findOneAndUpdate = vi.fn(async () => null);
    const updateOne = vi.fn(async () => ({ modifiedCount: 1 }));
    const repo = new MongoRequests({ ...f.col, findOneAndUpdate, updateOne } as any);
    const at = new Date(5);
    await repo.update('r-1', { status: 'PENDING', version: 1 }, { status: 'APPROVED' }, { status: 'APPROVED', at });
    expect(findOneAndUpdate).toHaveBeenLastCalledWith(
      { _id: 'r-1', status: 'PENDING', version: 1 },
      { $set: { status: 'APPROVED' }, $inc: { version: 1 }, $push: { unnoted: { status: 'APPROVED', at } } },
      { returnDocument: 'after' },
    );
    expect(await repo.update('r-1', { status: 'PENDING', version: 1 }, { status: 'APPROVED' }, { status: injected as never, at })).toBeNull();
    expect(findOneAndUpdate).toHaveBeenCalledTimes(1);
    await repo.listUnnoted(at, 100);
    expect(f.col.find).toHaveBeenLastCalledWith({ 'unnoted.at': { $lte: at } });
    expect(f.cursor.sort).toHaveBeenLastCalledWith({ 'unnoted.at': 1 });
    expect(f.cursor.limit).toHaveBeenLastCalledWith(100);
    expect(await repo.listUnnoted(injected as never, 100)).toEqual([]);
    expect(f.col.find).toHaveBeenCalledTimes(1);
    expect(keys('requests', 'unnoted.at')).toEqual([['unnoted.at', 1]]);
    await repo.markNoted('r-1', 'APPROVED');
    expect(updateOne).toHaveBeenLastCalledWith({ _id: 'r-1' }, { $pull: { unnoted: { status: 'APPROVED' } } });
    await repo.markNoted(injected, 'APPROVED');
    expect(updateOne).toHaveBeenCalledTimes(1);
  });

  it('requests.claimNotice is one conditional write on notices.<key>, and refuses keys that are not plain names', async () => {
    const updateOne = vi.fn(async () => ({ modifiedCount: 1 }));
    const repo = new MongoRequests({ updateOne } as any);
    const at = new Date(1);
    expect(await repo.claimNotice('r-1', 'grantEnded', at)).toBe(true);
    expect(updateOne).toHaveBeenLastCalledWith({ _id: 'r-1', 'notices.grantEnded': { $exists: false } }, { $set: { 'notices.grantEnded': at } });
    expect(await repo.claimNotice('r-1', 'a.b', at)).toBe(false);
    expect(await repo.claimNotice('r-1', '$where', at)).toBe(false);
    await repo.releaseNotice('r-1', 'grantEnded');
    expect(updateOne).toHaveBeenLastCalledWith({ _id: 'r-1' }, { $unset: { 'notices.grantEnded': '' } });
    expect(updateOne).toHaveBeenCalledTimes(2);
  });
});
