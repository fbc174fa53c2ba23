/**
 * The index specifications and their reconciliation at start, checked without a server: which
 * indexes hold the invariants, and what ensureIndexes drops, recreates and logs against a fake
 * database whose indexes are as an earlier version (or an operator) left them.
 */
import type { Db, Document } from 'mongodb';
import { MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { COLLECTIONS } from '../../src/store/mongodb/documents.js';
import { ensureIndexes, INDEX, INDEXES, sameIndex } from '../../src/store/mongodb/indexes.js';

const byName = (collection: keyof typeof INDEXES, name: string) => {
  const spec = INDEXES[collection].find((i) => i.name === name);
  expect(spec, `${collection}.${name}`).toBeDefined();
  return spec!;
};

describe('indexes', () => {
  const keys = (spec: { key: unknown }) => Object.entries(spec.key as Record<string, number>);

  it('covers every collection, each index named once', () => {
    expect(Object.keys(INDEXES).sort()).toEqual(Object.values(COLLECTIONS).sort());
    for (const specs of Object.values(INDEXES)) {
      const names = specs.map((s) => s.name);
      expect(names.every((n) => typeof n === 'string' && n.length > 0)).toBe(true);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('puts the invariants in unique indexes, and only those', () => {
    const unique = Object.entries(INDEXES).flatMap(([c, specs]) =>
      specs.filter((s) => s.unique).map((s) => `${c}:${keys(s).map(([k, d]) => `${k}=${d}`).join(',')}`),
    );
    expect(unique.sort()).toEqual([
      'accessReviewCampaigns:openKey=1',
      'accessReviewItems:campaignId=1,seq=1',
      'history:workspaceId=1,seq=1',
      'permissions:workspaceId=1,userId=1',
      'signingKeys:generation=1',
      'technicalUsers:token.hash=1',
      'technicalUsers:workspaceId=1,userName=1',
      'users:emailKey=1',
      'workspaces:name=1',
    ]);
  });

  it('makes the token hash unique only among users that have a token', () => {
    const spec = byName('technicalUsers', INDEX.tokenHash);
    expect(spec.unique).toBe(true);
    expect(spec.partialFilterExpression).toEqual({ 'token.hash': { $type: 'string' } });
  });

  it('expires token reveals at their expiresAt (TTL 0)', () => {
    const [spec, ...others] = INDEXES.tokenReveals;
    expect(others).toEqual([]);
    expect(keys(spec!)).toEqual([['expiresAt', 1]]);
    expect(spec!.expireAfterSeconds).toBe(0);
    const ttl = Object.values(INDEXES).flat().filter((s) => s.expireAfterSeconds !== undefined);
    expect(ttl).toEqual([spec]);
  });

  it('has the query indexes, with their key order and directions', () => {
    expect(keys(byName('permissions', 'workspaceId_status'))).toEqual([['workspaceId', 1], ['status', 1]]);
    expect(keys(byName('technicalUsers', 'token.nextWarningAt'))).toEqual([['token.nextWarningAt', 1]]);
    expect(keys(byName('technicalUsers', 'token.revealBy'))).toEqual([['token.revealBy', 1]]);
    expect(keys(byName('requests', 'status_decidedAt'))).toEqual([['status', 1], ['decidedAt', 1]]);
    expect(keys(byName('requests', 'status_expiresAt'))).toEqual([['status', 1], ['expiresAt', 1]]);
    expect(keys(byName('requests', 'workspaceId_createdAt'))).toEqual([['workspaceId', 1], ['createdAt', -1]]);
    expect(byName('history', INDEX.historyChain).partialFilterExpression).toEqual({ seq: { $gte: 1 } });
    expect(keys(byName('history', 'subject_at'))).toEqual([['subject.type', 1], ['subject.id', 1], ['at', -1]]);
  });

  /** A Db whose collections hold `existing` indexes and record what ensureIndexes does to them. */
  function fakeDb(existing: Record<string, Document[]>, opts: { createFails?: Record<string, unknown[]> } = {}) {
    const created: Record<string, unknown[]> = {};
    const dropped: string[] = [];
    const db = {
      collection: (name: string) => ({
        listIndexes: () => ({
          toArray: async () => {
            if (!(name in existing)) throw new MongoServerError({ message: `ns does not exist: kw.${name}`, code: 26 });
            return existing[name];
          },
        }),
        dropIndex: async (index: string) => {
          dropped.push(`${name}.${index}`);
          existing[name] = existing[name]!.filter((i) => i['name'] !== index);
        },
        createIndexes: async (specs: unknown[]) => {
          const failure = opts.createFails?.[name]?.shift();
          if (failure) throw failure;
          created[name] = specs;
          return [];
        },
      }),
    } as unknown as Db;
    return { db, created, dropped };
  }
  const logged = () => {
    const lines: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const log = { debug() {}, info() {}, error() {}, warn: (obj: Record<string, unknown>, msg?: string) => lines.push({ obj, msg }), child: () => log };
    return { log, lines };
  };
  /** An index as listIndexes returns it. */
  const asListed = (spec: Document) => ({ v: 2, ...spec });

  it('ensureIndexes creates each collection\'s indexes on a fresh database, leaving the specs alone', async () => {
    const before = structuredClone(INDEXES);
    const { db, created, dropped } = fakeDb({});
    const { log, lines } = logged();
    await ensureIndexes(db, log);
    expect(created).toEqual(INDEXES);
    expect(dropped).toEqual([]);
    expect(lines).toEqual([]);
    expect(INDEXES).toEqual(before);
  });

  it('leaves indexes that match alone, whatever order listIndexes gives their options in', async () => {
    const existing = Object.fromEntries(
      Object.entries(INDEXES).map(([c, specs]) => [c, [{ v: 2, key: { _id: 1 }, name: '_id_' }, ...specs.map((s) => ({ name: s.name, ...s, v: 2 }))]]),
    );
    const { db, dropped } = fakeDb(existing);
    const { log, lines } = logged();
    await ensureIndexes(db, log);
    expect(dropped).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('drops and recreates an index whose options changed, and drops retired ones and our keys under other names, each with a log line', async () => {
    const hash = byName('technicalUsers', INDEX.tokenHash);
    const existing = {
      // An earlier version: the token hash unique on every document (no partial filter).
      technicalUsers: [{ v: 2, key: { _id: 1 }, name: '_id_' }, asListed({ name: hash.name, key: hash.key, unique: true })],
      // The teamId index nothing queries, and the name index under the default name.
      workspaces: [{ v: 2, key: { _id: 1 }, name: '_id_' }, asListed({ name: 'slack.teamId', key: { 'slack.teamId': 1 } }), asListed({ name: 'name_1', key: { name: 1 }, unique: true })],
      // An operator's own index is not ours to drop.
      history: [{ v: 2, key: { _id: 1 }, name: '_id_' }, asListed({ name: 'ops_actor', key: { actor: 1 } })],
    };
    const { db, created, dropped } = fakeDb(existing);
    const { log, lines } = logged();
    await ensureIndexes(db, log);
    expect(dropped.sort()).toEqual(['technicalUsers.token.hash_unique', 'workspaces.name_1', 'workspaces.slack.teamId']);
    expect(created).toEqual(INDEXES);
    expect(lines.map((l) => [l.obj['collection'], l.obj['index'], l.msg])).toEqual([
      ['workspaces', 'slack.teamId', 'MongoDB index dropped: nothing queries it any more'],
      ['workspaces', 'name_1', `MongoDB index dropped: its key is now index ${INDEX.workspaceName}`],
      ['technicalUsers', INDEX.tokenHash, 'MongoDB index dropped: its key or options changed'],
    ]);
    expect(lines[2]!.obj['now']).toMatchObject({ partialFilterExpression: { 'token.hash': { $type: 'string' } } });
  });

  it('settles a conflict raised by createIndexes (85/86: another process recreated an old definition) with one more round', async () => {
    const conflict = new MongoServerError({ message: 'Index already exists with different options', code: 85, codeName: 'IndexOptionsConflict' });
    const { db, created } = fakeDb({}, { createFails: { users: [conflict] } });
    await ensureIndexes(db, logged().log);
    expect(created['users']).toEqual(INDEXES.users);
    const twice = fakeDb({}, { createFails: { users: [conflict, conflict] } });
    await expect(ensureIndexes(twice.db, logged().log)).rejects.toBe(conflict);
    const other = new MongoServerError({ message: 'not authorized', code: 13 });
    await expect(ensureIndexes(fakeDb({}, { createFails: { users: [other] } }).db, logged().log)).rejects.toBe(other);
  });

  it('tells an index whose key changed from one whose options did', () => {
    const spec = byName('requests', 'status_decidedAt');
    expect(sameIndex(spec, asListed({ ...spec }))).toBe(true);
    expect(sameIndex(spec, asListed({ ...spec, key: { decidedAt: 1, status: 1 } }))).toBe(false);
    expect(sameIndex(spec, asListed({ ...spec, unique: true }))).toBe(false);
    expect(sameIndex(byName('tokenReveals', 'expiresAt_ttl'), asListed({ name: 'expiresAt_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 60 }))).toBe(false);
  });
});

