/**
 * The Store contract, continued: the read queries behind the App Home and the metrics gauge.
 * Run against every adapter by memory.test.ts and mongodb.test.ts, like storeContract.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/app/ports.js';
import { at, request, technicalUser, useFreshStore } from './contract.js';

const DAY = 24 * 60;
const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);
const injected = { $gt: '' } as unknown as string;

export function queriesContract(name: string, open: () => Promise<Store>): void {
  describe(name, () => {
    let store: Store;
    useFreshStore(open, (s) => {
      store = s;
    });

    describe('requests: status changes owed to the webhooks (unnoted)', () => {
      it('update with owed appends it in the same compare-and-set; a lost race appends nothing', async () => {
        const r = request({ unnoted: [{ status: 'PENDING', at: at(1) }] });
        await store.requests.insert(r);
        expect(await store.requests.update(r.id, { status: 'PENDING', version: 2 }, { status: 'APPROVED' }, { status: 'APPROVED', at: at(2) })).toBeNull();
        const approved = await store.requests.update(r.id, { status: 'PENDING', version: 1 }, { status: 'APPROVED' }, { status: 'APPROVED', at: at(2) });
        expect(approved?.unnoted).toEqual([{ status: 'PENDING', at: at(1) }, { status: 'APPROVED', at: at(2) }]);
        expect(approved?.unnoted?.[1]?.at).toBeInstanceOf(Date);
        expect((await store.requests.findById(r.id))?.unnoted).toEqual(approved?.unnoted);
        // Without owed, nothing is appended.
        const applied = await store.requests.update(r.id, { status: 'APPROVED', version: 2 }, { status: 'APPLIED' });
        expect(applied?.unnoted).toHaveLength(2);
      });

      it('listUnnoted: requests with a change owed at or before the moment, oldest owed first, at most limit; markNoted takes one off', async () => {
        const r1 = request({ unnoted: [{ status: 'PENDING', at: at(5) }] });
        const r2 = request({ unnoted: [{ status: 'PENDING', at: at(2) }, { status: 'APPROVED', at: at(8) }] });
        const later = request({ unnoted: [{ status: 'PENDING', at: at(20) }] });
        const none = request();
        const empty = request({ unnoted: [] });
        for (const r of [r1, later, none, r2, empty]) await store.requests.insert(r);
        expect(ids(await store.requests.listUnnoted(at(10), 10))).toEqual([r2.id, r1.id]);
        expect(ids(await store.requests.listUnnoted(at(10), 1))).toEqual([r2.id]);
        expect(await store.requests.listUnnoted(at(1), 10)).toEqual([]);
        expect(await store.requests.listUnnoted(at(10), 0)).toEqual([]);

        await store.requests.markNoted(r2.id, 'PENDING');
        expect((await store.requests.findById(r2.id))?.unnoted).toEqual([{ status: 'APPROVED', at: at(8) }]);
        expect(ids(await store.requests.listUnnoted(at(10), 10))).toEqual([r1.id, r2.id]);
        await store.requests.markNoted(r2.id, 'APPROVED');
        await store.requests.markNoted(r1.id, 'PENDING');
        expect(await store.requests.listUnnoted(at(10), 10)).toEqual([]);
        // Unknown ids, and statuses not owed, change nothing.
        await store.requests.markNoted(randomUUID(), 'PENDING');
        await store.requests.markNoted(later.id, 'APPLIED');
        expect(ids(await store.requests.listUnnoted(at(30), 10))).toEqual([later.id]);
        // A moment that is not a date matches nothing (as a query operator smuggled in would).
        expect(await store.requests.listUnnoted(injected as unknown as Date, 10)).toEqual([]);
      });
    });

    describe('requests.listByWorkspace', () => {
      it('lists a workspace\'s requests newest first, filtered by status and requester, at most limit', async () => {
        const ws = randomUUID();
        const r1 = request({ workspaceId: ws, createdAt: at(1), requester: 'U-a' });
        const r2 = request({ workspaceId: ws, createdAt: at(2), requester: 'U-b', status: 'APPLIED' });
        const r3 = request({ workspaceId: ws, createdAt: at(3), requester: 'U-a', status: 'REJECTED', outcome: 'not now' });
        const r4 = request({ workspaceId: ws, createdAt: at(4), requester: 'U-b' });
        const other = request({ workspaceId: randomUUID(), createdAt: at(5), requester: 'U-a' });
        for (const r of [r3, other, r1, r4, r2]) await store.requests.insert(r);

        expect(ids(await store.requests.listByWorkspace(ws, { limit: 10 }))).toEqual(ids([r4, r3, r2, r1]));
        expect(ids(await store.requests.listByWorkspace(ws, { limit: 2 }))).toEqual(ids([r4, r3]));
        expect(ids(await store.requests.listByWorkspace(ws, { status: 'PENDING', limit: 10 }))).toEqual(ids([r4, r1]));
        expect(ids(await store.requests.listByWorkspace(ws, { requester: 'U-a', limit: 10 }))).toEqual(ids([r3, r1]));
        expect(ids(await store.requests.listByWorkspace(ws, { requester: 'U-b', status: 'PENDING', limit: 10 }))).toEqual(ids([r4]));
        expect(await store.requests.listByWorkspace(ws, { limit: 0 })).toEqual([]);
        expect(await store.requests.listByWorkspace(randomUUID(), { limit: 10 })).toEqual([]);
        // Whole records come back, as findById returns them.
        expect((await store.requests.listByWorkspace(ws, { requester: 'U-a', limit: 1 }))[0]).toEqual(r3);
      });

      it('pages after a request (createdAt, then id), never skipping or repeating requests of the same instant', async () => {
        const ws = randomUUID();
        const same = ['a', 'b', 'c'].map((x) => request({ id: `${x}${randomUUID().slice(1)}`, workspaceId: ws, createdAt: at(2) }));
        const older = request({ workspaceId: ws, createdAt: at(1) });
        for (const r of [...same, older]) await store.requests.insert(r);
        const seen: string[] = [];
        let before: { createdAt: Date; id: string } | undefined;
        for (;;) {
          const page = await store.requests.listByWorkspace(ws, { limit: 2, ...(before && { before }) });
          seen.push(...ids(page));
          if (page.length < 2) break;
          before = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id };
        }
        expect(seen).toEqual([...ids(same).reverse(), older.id]);
        expect(await store.requests.listByWorkspace(ws, { limit: 10, before: { createdAt: at(2), id: injected } })).toEqual([]);
      });

      it('treats an operator where an id belongs as matching nothing', async () => {
        const ws = randomUUID();
        await store.requests.insert(request({ workspaceId: ws }));
        expect(await store.requests.listByWorkspace(injected, { limit: 10 })).toEqual([]);
        expect(await store.requests.listByWorkspace(ws, { requester: injected, limit: 10 })).toEqual([]);
      });
    });

    describe('technicalUsers.listByExpiry', () => {
      it('lists a workspace\'s users with a token, the soonest expiry first (expired ones first), at most limit', async () => {
        const ws = randomUUID();
        const withExpiry = (userName: string, minutes: number, revoked = false) => {
          const t = technicalUser({ workspaceId: ws, userName });
          return { ...t, token: { ...t.token!, expiresAt: at(minutes), revokedAt: revoked ? at(0) : null } };
        };
        const later = withExpiry('later-bot', 90 * DAY);
        const soon = withExpiry('soon-bot', 7 * DAY);
        const expired = withExpiry('expired-bot', -DAY);
        const revoked = withExpiry('revoked-bot', 30 * DAY, true);
        const tokenless = technicalUser({ workspaceId: ws, userName: 'no-token', token: null });
        const elsewhere = technicalUser({ workspaceId: randomUUID() });
        for (const t of [later, tokenless, soon, elsewhere, revoked, expired]) expect(await store.technicalUsers.insert(t)).toBe(true);

        expect(ids(await store.technicalUsers.listByExpiry(ws, 10))).toEqual(ids([expired, soon, revoked, later]));
        expect(ids(await store.technicalUsers.listByExpiry(ws, 2))).toEqual(ids([expired, soon]));
        expect(await store.technicalUsers.listByExpiry(ws, 0)).toEqual([]);
        expect((await store.technicalUsers.listByExpiry(ws, 1))[0]).toEqual(expired);
        expect(await store.technicalUsers.listByExpiry(injected, 10)).toEqual([]);
      });
    });

    describe('technicalUsers.countTokensExpiringBefore', () => {
      it('counts live tokens expiring before each bound, across workspaces; revoked and missing tokens do not count', async () => {
        const token = (minutes: number, revoked = false) => {
          const t = technicalUser({ workspaceId: randomUUID() });
          return { ...t, token: { ...t.token!, expiresAt: at(minutes), revokedAt: revoked ? at(0) : null } };
        };
        for (const t of [token(-DAY), token(DAY / 2), token(5 * DAY), token(20 * DAY), token(20 * DAY, true), token(400 * DAY), technicalUser({ token: null })]) {
          await store.technicalUsers.insert(t);
        }
        const bounds = [at(0), at(DAY), at(7 * DAY), at(30 * DAY), at(90 * DAY), new Date(8.64e15)];
        expect(await store.technicalUsers.countTokensExpiringBefore(bounds)).toEqual([1, 2, 3, 4, 4, 5]);
        expect(await store.technicalUsers.countTokensExpiringBefore([])).toEqual([]);
      });
    });
  });
}
