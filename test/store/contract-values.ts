/**
 * The Store contract on values and races a real MongoDB treats differently from a Map: fields
 * given as undefined, invalid Dates, and two writes of one new record at the same moment (which a
 * server may refuse on `_id_` rather than on the natural key). Run against every adapter.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/app/ports.js';
import { at, historyEntry, permission, request, technicalUser, unchained, useFreshStore, workspace } from './contract.js';

const INVALID = new Date('not a date');

export function valuesContract(name: string, open: () => Promise<Store>): void {
  describe(name, () => {
    let store: Store;
    useFreshStore(open, (s) => {
      store = s;
    });

    it('leaves a field given as undefined out, rather than storing null', async () => {
      const entry = historyEntry({ reason: undefined });
      await store.history.append(entry);
      const [found] = await store.history.listBySubject(entry.subject.type, entry.subject.id, 5);
      expect(found!.reason).toBeUndefined();
      const r = request({ remindAt: undefined, undelivered: undefined });
      await store.requests.insert(r);
      const stored = await store.requests.findById(r.id);
      expect(stored!.remindAt).toBeUndefined();
      expect(stored!.undelivered).toBeUndefined();
    });

    it('refuses an invalid Date and keeps nothing of the write, rather than storing 1970', async () => {
      const r = request({ createdAt: INVALID });
      await expect(store.requests.insert(r)).rejects.toThrow(TypeError);
      expect(await store.requests.findById(r.id)).toBeNull();

      const p = permission({ lastLogin: INVALID });
      await expect(store.permissions.insert(p)).rejects.toThrow(TypeError);
      expect(await store.permissions.find(p.workspaceId, p.userId)).toBeNull();

      const t = technicalUser();
      await store.technicalUsers.insert(t);
      await expect(store.technicalUsers.update(t.id, t.version, { token: { ...t.token!, expiresAt: INVALID } })).rejects.toThrow(TypeError);
      expect(await store.technicalUsers.findById(t.id)).toEqual(t);

      // A refused entry does not use up its id: the valid one is written afterwards.
      const e = historyEntry({ at: INVALID });
      await expect(store.history.append(e)).rejects.toThrow(TypeError);
      await store.history.append({ ...e, at: at(1) });
      expect((await store.history.listBySubject(e.subject.type, e.subject.id, 5)).map(unchained)).toEqual([{ ...e, at: at(1) }]);
    });

    it('reads an invalid Date in a query as matching nothing', async () => {
      const r = request({ status: 'APPROVED', decidedAt: at(1), decidedBy: 'U' });
      await store.requests.insert(r);
      expect(await store.requests.listDecided('APPROVED', INVALID, 10)).toEqual([]);
      expect(await store.requests.listPendingExpired(INVALID, 10)).toEqual([]);
      expect(await store.technicalUsers.listWarningsDue(INVALID, 10)).toEqual([]);
    });

    it('of 10 inserts of one new permission at once (a re-run job), one is true and the rest false, none an error', async () => {
      const p = permission();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.permissions.insert({ ...p })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.permissions.findById(p.id)).toEqual(p);
    });

    it('of 10 inserts of one new technical user at once, one is true and the rest false, none an error', async () => {
      const t = technicalUser();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.technicalUsers.insert({ ...t })));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.technicalUsers.findById(t.id)).toEqual(t);
    });

    it('10 upserts of one new workspace at once (processes seeding together) all succeed and leave one', async () => {
      const ws = workspace();
      await Promise.all(Array.from({ length: 10 }, () => store.workspaces.upsert({ ...ws })));
      expect(await store.workspaces.list()).toEqual([ws]);
    });

    it('10 appends of one history entry at once leave one', async () => {
      const e = historyEntry();
      await Promise.all(Array.from({ length: 10 }, () => store.history.append({ ...e })));
      expect((await store.history.listBySubject(e.subject.type, e.subject.id, 20)).map(unchained)).toEqual([e]);
    });
  });
}
