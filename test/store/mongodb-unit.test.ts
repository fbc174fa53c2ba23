/**
 * What can be checked of the MongoDB adapter without a server: the index specifications, the
 * `_id` <-> `id` mapping, the duplicate-key reading, and the exact operations each repository
 * sends (against a recording fake collection). The behaviour against a real server is the
 * contract suite's job (mongodb.test.ts).
 */
import type { Collection, Document } from 'mongodb';
import { MongoClient, MongoServerError } from 'mongodb';
import { describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { DuplicateKeyError } from '../../src/store/errors.js';
import { databaseName, redactUri } from '../../src/store/mongodb/connection.js';
import { casUpdate, COLLECTIONS, fromDoc, isVersion, setOf, toDoc, toLimit } from '../../src/store/mongodb/documents.js';
import { duplicateKeyIndex } from '../../src/store/mongodb/duplicate-key.js';
import { MongoHistory } from '../../src/store/mongodb/history.js';
import { chainAfter, ChainVerifier, type ChainedEntry } from '../../src/domain/history-chain.js';
import type { HistoryEntry } from '../../src/domain/history.js';
import type { Doc } from '../../src/store/mongodb/documents.js';
import { INDEX, INDEXES } from '../../src/store/mongodb/indexes.js';
import { clientOptions, createMongoStore } from '../../src/store/mongodb/mongo-store.js';
import { MongoPermissions } from '../../src/store/mongodb/permissions.js';
import { MongoRequests } from '../../src/store/mongodb/requests.js';
import { MongoSigningKeys } from '../../src/store/mongodb/signing-keys.js';
import { MongoTechnicalUsers } from '../../src/store/mongodb/technical-users.js';
import { MongoTokenReveals } from '../../src/store/mongodb/token-reveals.js';
import { MongoUsers } from '../../src/store/mongodb/users.js';
import { MongoWorkspaces } from '../../src/store/mongodb/workspaces.js';
import { historyEntry, permission, request, signingKey, technicalUser, user, workspace } from './contract.js';

/**
 * A duplicate-key error as servers send it: `keyPattern` and `keyValue` say which index. The
 * message names no index on purpose (servers word it differently): it must not be read.
 */
const dupKey = (keyPattern: Document) =>
  new MongoServerError({
    message: 'E11000 duplicate key error collection: kw.c index: misleading_name dup key: { }',
    code: 11000,
    keyPattern,
    keyValue: Object.fromEntries(Object.keys(keyPattern).map((k) => [k, 'x'])),
  });
const ID_DUP = { _id: 1 };

const byName = (collection: keyof typeof INDEXES, name: string) => {
  const spec = INDEXES[collection].find((i) => i.name === name);
  expect(spec, `${collection}.${name}`).toBeDefined();
  return spec!;
};

describe('documents', () => {
  it('maps id to _id and back, keeping Dates and nested values', () => {
    const p = permission({ lastChange: { id: 'r1', before: { role: 'VIEWER', status: 'ACTIVE' } } });
    const doc = toDoc(p);
    expect(doc._id).toBe(p.id);
    expect(Object.keys(doc)).not.toContain('id');
    expect(doc.lastLogin).toBeInstanceOf(Date);
    const back = fromDoc<typeof p>(doc);
    expect(back).toEqual(p);
    expect(Object.keys(back)).not.toContain('_id');
  });

  it('keeps a request\'s kind and params', () => {
    const r = request();
    expect(fromDoc<typeof r>(toDoc(r))).toEqual(r);
  });

  it('$set holds only the fields given and allowed; an empty one is left out', () => {
    const set = setOf({ role: 'ADMIN', status: undefined, version: 99, _id: 'x' } as Record<string, unknown>, [
      'role', 'status', 'lastChange',
    ]);
    expect(set).toEqual({ role: 'ADMIN' });
    expect(setOf({ token: null }, ['token'])).toEqual({ token: null });
    expect(casUpdate(set)).toEqual({ $set: { role: 'ADMIN' }, $inc: { version: 1 } });
    expect(casUpdate({})).toEqual({ $inc: { version: 1 } });
  });

  it('accepts only integer versions and positive integer limits', () => {
    expect([1, 0, 1.5, Number.NaN, '1', null].map(isVersion)).toEqual([true, true, false, false, false, false]);
    expect([3, 2.9, 0, -1, Number.NaN, Infinity].map(toLimit)).toEqual([3, 2, 0, -1, 0, 0]);
  });
});

describe('duplicate keys', () => {
  it('names the index from keyPattern and the index definitions, never from the message', () => {
    expect(duplicateKeyIndex(dupKey({ name: 1 }), 'workspaces')).toBe(INDEX.workspaceName);
    expect(duplicateKeyIndex(dupKey({ workspaceId: 1, userName: 1 }), 'technicalUsers')).toBe(INDEX.technicalUserName);
    expect(duplicateKeyIndex(dupKey({ 'token.hash': 1 }), 'technicalUsers')).toBe(INDEX.tokenHash);
    expect(duplicateKeyIndex(dupKey({ workspaceId: 1, userId: 1 }), 'permissions')).toBe(INDEX.permissionPair);
    expect(duplicateKeyIndex(dupKey(ID_DUP), 'users')).toBe('_id_');
    // A key that is not a unique index of that collection, or no keyPattern at all: unknown.
    expect(duplicateKeyIndex(dupKey({ name: 1 }), 'users')).toBe('');
    expect(duplicateKeyIndex(dupKey({ userId: 1, workspaceId: 1 }), 'permissions')).toBe('');
    const bare = new MongoServerError({ message: 'E11000 duplicate key error index: name_unique dup key', code: 11000 });
    expect(duplicateKeyIndex(bare, 'workspaces')).toBe('');
  });

  it('is null for anything else', () => {
    expect(duplicateKeyIndex(new MongoServerError({ message: 'boom', code: 2 }), 'users')).toBeNull();
    expect(duplicateKeyIndex(Object.assign(new Error('E11000 index: x dup key'), { code: 11000 }), 'users')).toBeNull();
    expect(duplicateKeyIndex(undefined, 'users')).toBeNull();
  });
});

describe('connection string', () => {
  it('uses the URI\'s database, else keywarden', () => {
    expect(databaseName('mongodb://127.0.0.1:27017/keywarden')).toBe('keywarden');
    expect(databaseName('mongodb://u:p@a:1,b:2/prod?replicaSet=rs0&w=majority')).toBe('prod');
    expect(databaseName('mongodb+srv://u:p@cluster.example.net/kw%2Dtest?retryWrites=true')).toBe('kw-test');
    expect(databaseName('mongodb://127.0.0.1:27017')).toBe('keywarden');
    expect(databaseName('mongodb://127.0.0.1:27017/')).toBe('keywarden');
    expect(databaseName('mongodb://127.0.0.1:27017/?authSource=admin')).toBe('keywarden');
    expect(databaseName('mongodb://127.0.0.1:27017?appName=a/b')).toBe('keywarden');
  });

  it('hides passwords', () => {
    expect(redactUri('mongodb://kw:s3cret@db:27017/kw')).toBe('mongodb://kw:***@db:27017/kw');
    expect(redactUri('mongodb+srv://kw:p@ss/w?rd@c.example.net/kw')).toBe('mongodb+srv://kw:***@c.example.net/kw');
    expect(redactUri('mongodb://db:27017/kw')).toBe('mongodb://db:27017/kw');
  });
});

describe('createMongoStore / openStore', () => {
  it('fails fast and clearly when no server answers, without the password', async () => {
    const started = Date.now();
    const err: unknown = await createMongoStore('mongodb://kw:hunter2@127.0.0.1:1/kw', {
      serverSelectionTimeoutMS: 300,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^MongoDB at mongodb:\/\/kw:\*\*\*@127\.0\.0\.1:1\/kw cannot be reached: /);
    expect((err as Error).message).not.toContain('hunter2');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a malformed URI with the same clear error', async () => {
    await expect(createMongoStore('http://nope')).rejects.toThrow(/^MongoDB at http:\/\/nope cannot be reached: /);
  });

  it('bounds every operation and leaves undefined out; a bound in the URI wins', async () => {
    const opts = clientOptions('mongodb://db:27017/kw');
    expect(opts).toEqual({ serverSelectionTimeoutMS: 5000, socketTimeoutMS: 15_000, waitQueueTimeoutMS: 5000, ignoreUndefined: true });
    // What the driver makes of them (parsed without connecting).
    const client = new MongoClient('mongodb://db:27017/kw?socketTimeoutMS=2000', clientOptions('mongodb://db:27017/kw?socketTimeoutMS=2000'));
    expect(client.options).toMatchObject({ socketTimeoutMS: 2000, serverSelectionTimeoutMS: 5000, waitQueueTimeoutMS: 5000, ignoreUndefined: true });
    await client.close();
    expect(() => clientOptions('mongodb://db/kw', { socketTimeoutMS: 0 })).toThrow(RangeError);
  });

  it('openStore("memory") is the memory store', async () => {
    const store = await openStore('memory');
    expect(store.kind).toBe('memory');
    await store.close();
  });
});

// ---------------------------------------------------------------------------------------------
// The operations each repository sends, against a fake collection that records them.

type Results = Partial<Record<'findOne' | 'findOneAndUpdate' | 'updateOne' | 'replaceOne' | 'insertOne' | 'deleteOne', unknown>>;

function fakeCollection(results: Results = {}, found: Document[] = []) {
  // `{ seq: [...] }` answers one item per call, in order (the last one again once they run out).
  const answer = (op: keyof Results) =>
    vi.fn(async () => {
      const given = results[op];
      const r = given && typeof given === 'object' && 'seq' in given ? (given.seq as unknown[]).length > 1 ? (given.seq as unknown[]).shift() : (given.seq as unknown[])[0] : given;
      if (r instanceof Error) throw r;
      return r;
    });
  const cursor = { sort: vi.fn(() => cursor), limit: vi.fn(() => cursor), toArray: vi.fn(async () => found) };
  const col = {
    findOne: answer('findOne'),
    findOneAndUpdate: answer('findOneAndUpdate'),
    updateOne: answer('updateOne'),
    replaceOne: answer('replaceOne'),
    insertOne: answer('insertOne'),
    deleteOne: answer('deleteOne'),
    find: vi.fn(() => cursor),
  };
  const ops = () => Object.values(col).reduce((n, fn) => n + fn.mock.calls.length, 0);
  // The repositories only use the methods above; the cast is the price of not needing a server.
  return { col, cursor, ops, as: <T extends Document>() => col as unknown as Collection<T> };
}

describe('operations sent', () => {
  const hostile = { $gt: '' } as unknown as string;

  it('permissions.update is one findOneAndUpdate on (_id, version), returning the record after', async () => {
    const p = permission({ version: 2 });
    const f = fakeCollection({ findOneAndUpdate: { ...toDoc(p), role: 'ADMIN', version: 3 } });
    const updated = await new MongoPermissions(f.as()).update(p.id, 2, { role: 'ADMIN', status: undefined });
    expect(f.col.findOneAndUpdate).toHaveBeenCalledWith(
      { _id: p.id, version: 2 },
      { $set: { role: 'ADMIN' }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    expect(updated).toEqual({ ...p, role: 'ADMIN', version: 3 });
    expect(Object.keys(updated!)).not.toContain('_id');
  });

  it('a lost compare-and-set is null', async () => {
    const f = fakeCollection({ findOneAndUpdate: null });
    expect(await new MongoTechnicalUsers(f.as()).update('t1', 1, { role: 'ADMIN' })).toBeNull();
  });

  it('requests.update filters on (_id, status, version); setSlackRef bumps nothing', async () => {
    const r = request();
    const f = fakeCollection({ findOneAndUpdate: null, updateOne: { matchedCount: 1 } });
    const repo = new MongoRequests(f.as());
    await repo.update(r.id, { status: 'PENDING', version: 1 }, { status: 'APPROVED', decidedBy: 'U1' });
    expect(f.col.findOneAndUpdate).toHaveBeenCalledWith(
      { _id: r.id, status: 'PENDING', version: 1 },
      { $set: { status: 'APPROVED', decidedBy: 'U1' }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    await repo.setSlackRef(r.id, { channel: 'C1', ts: '1.2' });
    expect(f.col.updateOne).toHaveBeenLastCalledWith({ _id: r.id }, { $set: { slack: { channel: 'C1', ts: '1.2' } } });
  });

  it('requests.listDecided reads in index order, limited', async () => {
    const f = fakeCollection();
    const before = new Date();
    await new MongoRequests(f.as()).listDecided('APPROVED', before, 25);
    expect(f.col.find).toHaveBeenCalledWith({ status: 'APPROVED', decidedAt: { $lt: before } });
    expect(f.cursor.sort).toHaveBeenCalledWith({ decidedAt: 1 });
    expect(f.cursor.limit).toHaveBeenCalledWith(25);
  });

  it('requests.listRemindersDue reads pending ones by reminder date, through the status_remindAt index', async () => {
    const f = fakeCollection();
    const now = new Date();
    await new MongoRequests(f.as()).listRemindersDue(now, 50);
    expect(f.col.find).toHaveBeenCalledWith({ status: 'PENDING', remindAt: { $lte: now } });
    expect(f.cursor.sort).toHaveBeenCalledWith({ remindAt: 1 });
    expect(byName('requests', 'status_remindAt').key).toEqual({ status: 1, remindAt: 1 });
  });

  it('requests.listUnposted reads pending ones by creation, through the status_createdAt index', async () => {
    const f = fakeCollection();
    const before = new Date();
    await new MongoRequests(f.as()).listUnposted(before, 50);
    expect(f.col.find).toHaveBeenCalledWith({ status: 'PENDING', slack: null, createdAt: { $lt: before } });
    expect(f.cursor.sort).toHaveBeenCalledWith({ createdAt: 1 });
    expect(f.cursor.limit).toHaveBeenCalledWith(50);
    expect(byName('requests', 'status_createdAt').key).toEqual({ status: 1, createdAt: 1 });
  });

  it('technicalUsers.findByTokenHash states the partial index\'s filter, so the index is used', async () => {
    const f = fakeCollection({ findOne: null });
    await new MongoTechnicalUsers(f.as()).findByTokenHash('ab12');
    const filter = byName('technicalUsers', INDEX.tokenHash).partialFilterExpression!;
    expect(f.col.findOne).toHaveBeenCalledWith({ 'token.hash': { $eq: 'ab12', ...filter['token.hash'] } });
  });

  it('requests.claimNotified is one conditional write on notifiedAt: null', async () => {
    const at = new Date();
    const won = fakeCollection({ updateOne: { matchedCount: 1, modifiedCount: 1 } });
    expect(await new MongoRequests(won.as()).claimNotified('r1', at)).toBe(true);
    expect(won.col.updateOne).toHaveBeenCalledWith({ _id: 'r1', notifiedAt: null }, { $set: { notifiedAt: at } });
    const lost = fakeCollection({ updateOne: { matchedCount: 0, modifiedCount: 0 } });
    expect(await new MongoRequests(lost.as()).claimNotified('r1', at)).toBe(false);
  });

  it('technicalUsers.listRevealOverdue reads the revealBy index, oldest first, limited', async () => {
    const f = fakeCollection();
    const now = new Date();
    await new MongoTechnicalUsers(f.as()).listRevealOverdue(now, 50);
    expect(f.col.find).toHaveBeenCalledWith({ 'token.revealBy': { $lt: now }, 'token.revokedAt': null });
    expect(f.cursor.sort).toHaveBeenCalledWith({ 'token.revealBy': 1 });
    expect(f.cursor.limit).toHaveBeenCalledWith(50);
  });

  it('tokenReveals: put is an upsert of $setOnInsert; claim is conditional on recipient, claim and expiry', async () => {
    const now = new Date();
    const r = {
      id: 'req-1', workspaceId: 'ws-1', technicalUserId: 'tu-1', recipient: 'U1', sealed: 'jwe',
      expiresAt: new Date(now.getTime() + 1000), claimedAt: null,
    };
    const f = fakeCollection({ findOneAndUpdate: toDoc(r) });
    const repo = new MongoTokenReveals(f.as());
    expect(await repo.put(r)).toEqual(r);
    const { _id, ...fields } = toDoc(r);
    expect(f.col.findOneAndUpdate).toHaveBeenLastCalledWith(
      { _id },
      { $setOnInsert: fields },
      { upsert: true, returnDocument: 'after' },
    );
    await repo.claim('req-1', 'U1', now);
    expect(f.col.findOneAndUpdate).toHaveBeenLastCalledWith(
      { _id: 'req-1', recipient: 'U1', claimedAt: null, expiresAt: { $gt: now } },
      { $set: { claimedAt: now } },
      { returnDocument: 'after' },
    );
  });

  it('signingKeys: insertIfAbsent upserts on the generation; a racing insert answers with the stored key', async () => {
    const k = signingKey({ generation: 3 });
    const f = fakeCollection({ findOneAndUpdate: toDoc(k) });
    expect(await new MongoSigningKeys(f.as()).insertIfAbsent(k)).toEqual(k);
    expect(f.col.findOneAndUpdate).toHaveBeenCalledWith(
      { generation: 3 },
      { $setOnInsert: toDoc(k) },
      { upsert: true, returnDocument: 'after' },
    );
    const winner = signingKey({ generation: 3 });
    const raced = fakeCollection({ findOneAndUpdate: dupKey({ generation: 1 }), findOne: toDoc(winner) });
    expect(await new MongoSigningKeys(raced.as()).insertIfAbsent(k)).toEqual(winner);
    expect(raced.col.findOne).toHaveBeenCalledWith({ generation: 3 });
    // The same key inserted twice at once collides on _id_: still the stored key, not an error.
    const twice = fakeCollection({ findOneAndUpdate: dupKey(ID_DUP), findOne: toDoc(k) });
    expect(await new MongoSigningKeys(twice.as()).insertIfAbsent(k)).toEqual(k);
    const taken = fakeCollection({ findOneAndUpdate: dupKey(ID_DUP), findOne: null });
    await expect(new MongoSigningKeys(taken.as()).insertIfAbsent(k)).rejects.toBeInstanceOf(DuplicateKeyError);
  });

  it('signingKeys: retire only moves retiresAt earlier; list reads newest generation first', async () => {
    const at = new Date();
    const f = fakeCollection({ findOneAndUpdate: null, findOne: null });
    const repo = new MongoSigningKeys(f.as());
    expect(await repo.retire('kid-1', at)).toBeNull();
    expect(f.col.findOneAndUpdate).toHaveBeenCalledWith(
      { _id: 'kid-1', $or: [{ retiresAt: null }, { retiresAt: { $gt: at } }] },
      { $set: { retiresAt: at } },
      { returnDocument: 'after' },
    );
    await repo.list();
    expect(f.col.find).toHaveBeenCalledWith({});
    expect(f.cursor.sort).toHaveBeenCalledWith({ generation: -1 });
  });

  it('technicalUsers.delete is deleteOne on (_id, version)', async () => {
    const f = fakeCollection({ deleteOne: { deletedCount: 1 } });
    expect(await new MongoTechnicalUsers(f.as()).delete('t1', 4)).toBe(true);
    expect(f.col.deleteOne).toHaveBeenCalledWith({ _id: 't1', version: 4 });
  });

  it('history.append inserts the line chained after the head it read; a duplicate id is fine', async () => {
    const e = historyEntry();
    const f = fakeCollection({ findOne: null, insertOne: dupKey(ID_DUP) });
    await expect(new MongoHistory(f.as()).append(e)).resolves.toBeUndefined();
    expect(f.col.findOne).toHaveBeenCalledWith({ workspaceId: e.workspaceId, seq: { $gte: 1 } }, { sort: { seq: -1 }, projection: { seq: 1, hash: 1 } });
    expect(f.col.insertOne).toHaveBeenCalledWith(toDoc(chainAfter(e, null)));
    expect(f.col.insertOne).toHaveBeenCalledTimes(1);
    const down = new Error('network');
    await expect(new MongoHistory(fakeCollection({ findOne: null, insertOne: down }).as()).append(e)).rejects.toBe(down);
  });

  it('users.ensure upserts by emailKey and re-reads after losing the race', async () => {
    const u = user({ email: ' John.Doe@X.de ' });
    const stored = { ...toDoc(user({ email: 'john.doe@x.de' })), emailKey: 'john.doe@x.de' };
    const f = fakeCollection({ findOneAndUpdate: dupKey({ emailKey: 1 }), findOne: stored });
    const { emailKey: _k, ...expected } = fromDoc<typeof u & { emailKey: string }>(stored);
    expect(await new MongoUsers(f.as()).ensure(u)).toEqual(expected);
    expect(f.col.findOneAndUpdate).toHaveBeenCalledWith(
      { emailKey: 'john.doe@x.de' },
      { $setOnInsert: { ...toDoc(u), emailKey: 'john.doe@x.de' } },
      { upsert: true, returnDocument: 'after' },
    );
    expect(f.col.findOne).toHaveBeenCalledWith({ emailKey: 'john.doe@x.de' });
    // The race reported on _id_ (the same user ensured twice at once): the stored user too.
    const same = fakeCollection({ findOneAndUpdate: dupKey(ID_DUP), findOne: stored });
    expect(await new MongoUsers(same.as()).ensure(u)).toEqual(expected);
    // _id_ with the email free: the id is another email's user.
    const idTaken = fakeCollection({ findOneAndUpdate: dupKey(ID_DUP), findOne: null });
    await expect(new MongoUsers(idTaken.as()).ensure(u)).rejects.toEqual(new DuplicateKeyError('users', '_id'));
  });

  it('permissions.insert: the pair index means false, _id a DuplicateKeyError, the rest is rethrown', async () => {
    const p = permission();
    const inserted = fakeCollection({ updateOne: { upsertedCount: 1, matchedCount: 0 } });
    expect(await new MongoPermissions(inserted.as()).insert(p)).toBe(true);
    expect(inserted.col.updateOne).toHaveBeenCalledWith(
      { workspaceId: p.workspaceId, userId: p.userId },
      { $setOnInsert: toDoc(p) },
      { upsert: true },
    );
    const there = fakeCollection({ updateOne: { upsertedCount: 0, matchedCount: 1 } });
    expect(await new MongoPermissions(there.as()).insert(p)).toBe(false);
    // A racing insert won: whichever index the loser's duplicate names, the pair is read back.
    for (const pattern of [{ workspaceId: 1, userId: 1 }, ID_DUP, null]) {
      const err = pattern ? dupKey(pattern) : new MongoServerError({ message: 'E11000', code: 11000 });
      const raced = fakeCollection({ updateOne: err, findOne: { _id: p.id } });
      expect(await new MongoPermissions(raced.as()).insert(p)).toBe(false);
      expect(raced.col.findOne).toHaveBeenCalledWith({ workspaceId: p.workspaceId, userId: p.userId }, { projection: { _id: 1 } });
    }
    // The pair is free: the id belongs to another pair.
    const idTaken = fakeCollection({ updateOne: dupKey(ID_DUP), findOne: null });
    await expect(new MongoPermissions(idTaken.as()).insert(p)).rejects.toEqual(new DuplicateKeyError('permissions', '_id'));
    const unknown = new MongoServerError({ message: 'E11000', code: 11000 });
    await expect(new MongoPermissions(fakeCollection({ updateOne: unknown, findOne: null }).as()).insert(p)).rejects.toBe(unknown);
    const down = new MongoServerError({ message: 'not primary', code: 10107 });
    await expect(new MongoPermissions(fakeCollection({ updateOne: down }).as()).insert(p)).rejects.toBe(down);
  });

  it('technicalUsers.insert and update map duplicate keys', async () => {
    const t = technicalUser();
    const taken = fakeCollection({ updateOne: dupKey({ workspaceId: 1, userName: 1 }), findOne: { _id: 'other' } });
    expect(await new MongoTechnicalUsers(taken.as()).insert(t)).toBe(false);
    const hashTaken = fakeCollection({ updateOne: dupKey({ 'token.hash': 1 }), findOne: null });
    await expect(new MongoTechnicalUsers(hashTaken.as()).insert(t)).rejects.toEqual(new DuplicateKeyError('technicalUsers', 'token.hash'));
    const hash = fakeCollection({ findOneAndUpdate: dupKey({ 'token.hash': 1 }) });
    await expect(new MongoTechnicalUsers(hash.as()).update(t.id, 1, { token: t.token })).rejects.toEqual(
      new DuplicateKeyError('technicalUsers', 'token.hash'),
    );
  });

  it('workspaces.upsert replaces by _id; a taken name is a DuplicateKeyError', async () => {
    const ws = workspace();
    const ok = fakeCollection({ replaceOne: { upsertedCount: 1 } });
    await new MongoWorkspaces(ok.as()).upsert(ws);
    expect(ok.col.replaceOne).toHaveBeenCalledWith({ _id: ws.id }, toDoc(ws), { upsert: true });
    const taken = fakeCollection({ replaceOne: dupKey({ name: 1 }) });
    await expect(new MongoWorkspaces(taken.as()).upsert(ws)).rejects.toEqual(new DuplicateKeyError('workspaces', 'name'));
    // Two processes seeding one new workspace: the loser's duplicate is on _id_, and it replaces once more.
    const raced = fakeCollection({ replaceOne: { seq: [dupKey(ID_DUP), { matchedCount: 1 }] }, findOne: null });
    await new MongoWorkspaces(raced.as()).upsert(ws);
    expect(raced.col.replaceOne).toHaveBeenCalledTimes(2);
    expect(raced.col.findOne).toHaveBeenCalledWith({ name: ws.name, _id: { $ne: ws.id } });
    // A duplicate the server does not name, with the name taken by another workspace.
    const unnamed = fakeCollection({ replaceOne: new MongoServerError({ message: 'E11000', code: 11000 }), findOne: toDoc(workspace()) });
    await expect(new MongoWorkspaces(unnamed.as()).upsert(ws)).rejects.toEqual(new DuplicateKeyError('workspaces', 'name'));
  });

  it('refuses an invalid Date before sending anything, rather than storing 1970', async () => {
    const f = fakeCollection({ updateOne: { upsertedCount: 1 }, findOneAndUpdate: null, insertOne: {} });
    const bad = new Date('not a date');
    await expect(new MongoPermissions(f.as()).insert(permission({ lastLogin: bad }))).rejects.toThrow(/lastLogin is an invalid Date/);
    await expect(new MongoRequests(f.as()).insert(request({ createdAt: bad }))).rejects.toThrow(TypeError);
    const t = technicalUser();
    await expect(new MongoTechnicalUsers(f.as()).update(t.id, 1, { token: { ...t.token!, expiresAt: bad } })).rejects.toThrow(/token\.expiresAt/);
    await expect(new MongoRequests(f.as()).claimNotified('r1', bad)).rejects.toThrow(TypeError);
    expect(f.ops()).toBe(0);
    // In a filter an invalid Date matches nothing, as it does in the memory store.
    expect(await new MongoRequests(f.as()).listDecided('APPROVED', bad, 10)).toEqual([]);
    expect(await new MongoTokenReveals(f.as()).claim('r1', 'U1', bad)).toBeNull();
    expect(f.ops()).toBe(0);
  });

  it('never sends an operator object where an id belongs', async () => {
    const f = fakeCollection();
    await new MongoWorkspaces(f.as()).findById(hostile);
    await new MongoWorkspaces(f.as()).findByName(hostile);
    await new MongoUsers(f.as()).findByEmail(hostile);
    await new MongoUsers(f.as()).findByIds([hostile]);
    await new MongoPermissions(f.as()).update(hostile, 1, { role: 'ADMIN' });
    await new MongoPermissions(f.as()).update('p1', { $gt: 0 } as unknown as number, { role: 'ADMIN' });
    await new MongoPermissions(f.as()).list('ws-1', { status: hostile as never });
    await new MongoRequests(f.as()).update('r1', { status: hostile as never, version: 1 }, { status: 'APPROVED' });
    await new MongoRequests(f.as()).claimNotified(hostile, new Date());
    await new MongoTokenReveals(f.as()).claim('tr1', hostile, new Date());
    await new MongoTokenReveals(f.as()).delete(hostile);
    await new MongoHistory(f.as()).listBySubject('technicalUser', hostile, 5);
    await new MongoTechnicalUsers(f.as()).findByTokenHash(hostile);
    await new MongoTechnicalUsers(f.as()).delete(hostile, 1);
    expect(f.ops()).toBe(0);
    await expect(new MongoPermissions(f.as()).insert(permission({ workspaceId: hostile }))).rejects.toBeInstanceOf(TypeError);
    expect(f.ops()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The chain's conditional write, under concurrency: a collection that enforces the two unique
// indexes the adapter relies on (_id, and (workspaceId, seq) for lines with a seq), answers the
// head query, and yields to the event loop around every operation so appends interleave.

function chainCollection() {
  const docs = new Map<string, Document>();
  const tick = () => new Promise((r) => setImmediate(r));
  let inserts = 0;
  const col = {
    async findOne(filter: Document, opts: { sort?: Document }) {
      await tick();
      expect(filter.seq).toEqual({ $gte: 1 });
      expect(opts.sort).toEqual({ seq: -1 });
      const lines = [...docs.values()].filter((d) => d.workspaceId === filter.workspaceId && typeof d.seq === 'number');
      const head = lines.sort((a, b) => b.seq - a.seq)[0];
      return head ? { _id: head._id, seq: head.seq, hash: head.hash } : null;
    },
    async insertOne(doc: Document) {
      await tick();
      inserts++;
      if (docs.has(doc._id)) throw dupKey(ID_DUP);
      for (const d of docs.values()) {
        if (d.workspaceId === doc.workspaceId && d.seq === doc.seq) throw dupKey({ workspaceId: 1, seq: 1 });
      }
      docs.set(doc._id, structuredClone(doc));
      return { acknowledged: true, insertedId: doc._id };
    },
  };
  const lines = (ws: string) =>
    [...docs.values()].filter((d) => d.workspaceId === ws).sort((a, b) => a.seq - b.seq).map((d) => fromDoc<ChainedEntry>(d as never));
  return { col: col as unknown as Collection<Doc<HistoryEntry>>, lines, inserts: () => inserts };
}

describe('history chain on the MongoDB adapter (conditional insert on the (workspaceId, seq) index)', () => {
  it('200 concurrent appends, some of them repeated, make one unforked chain with every line once', async () => {
    const c = chainCollection();
    const history = new MongoHistory(c.col);
    const entries = Array.from({ length: 200 }, (_, i) => historyEntry({ action: `a${i}` }));
    const other = Array.from({ length: 20 }, () => historyEntry({ workspaceId: 'ws-2' }));
    await Promise.all([...entries, ...other, ...entries.slice(0, 30)].map((e) => history.append(e)));
    const lines = c.lines('ws-1');
    expect(lines.map((l) => l.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(new Set(lines.map((l) => l.id))).toEqual(new Set(entries.map((e) => e.id)));
    const v = new ChainVerifier('ws-1');
    lines.forEach((l) => v.add(l));
    expect(v.result()).toMatchObject({ whole: true, lines: 200 });
    expect(c.lines('ws-2').map((l) => l.seq)).toEqual(other.map((_, i) => i + 1));
    // Lost races were retried, not dropped: more inserts were tried than lines written.
    expect(c.inserts()).toBeGreaterThan(250);
  });

  it('settles a duplicate the server does not name by re-reading the id: there means appended', async () => {
    const e = historyEntry();
    const f = fakeCollection({ findOne: toDoc(e), insertOne: dupKey({ x: 1 }) });
    await expect(new MongoHistory(f.as()).append(e)).resolves.toBeUndefined();
    expect(f.col.insertOne).toHaveBeenCalledTimes(1);
    expect(f.col.findOne).toHaveBeenLastCalledWith({ _id: e.id });
  });
});
