/** The MongoDB adapter's App Home and metrics queries, checked without a server: filters, order, limits. */
import { describe, expect, it, vi } from 'vitest';
import { INDEXES } from '../../src/store/mongodb/indexes.js';
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
    expect(f.cursor.sort).toHaveBeenLastCalledWith({ createdAt: -1 });
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
});
