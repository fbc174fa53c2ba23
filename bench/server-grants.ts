/**
 * The grants part's handlers in the bench server (bench/server.ts serves them):
 *
 * - grantsPrepare: N permissions under a grant, with the requests that gave them, as the apply
 *   of a grant leaves them, their ends spread over one window; then each end is scheduled through
 *   the product's timer (GrantService.schedule: a delayed BullMQ job), as the apply does.
 * - grantsVerify: every grant reverted? and how late each end was made after the grant's end
 *   (the end's compare-and-set, as its history line records it).
 * - grantsDueRead: grows the store to `size` permissions under a grant, `due` of them due at the
 *   moment read, and times the backstop sweep's read of the due grants (GrantSubjects.listDue).
 */
import { randomUUID } from 'node:crypto';
import type { Grant } from '../src/domain/grant.js';
import { grantEndId } from '../src/domain/grant.js';
import type { Permission } from '../src/domain/permission.js';
import type { ChangeRequest } from '../src/domain/request.js';
import type { Keywarden } from '../src/keywarden.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface Prepared { requestId: string; permissionId: string; until: number }
let prepared: Prepared[] = [];

export function grantHandlers(running: () => Keywarden) {
  /** A permission of `userId` under a grant of ADMIN (back to MEMBER) that ends at `until`. */
  const underGrant = (userId: string, workspaceId: string, grant: Grant): Permission => ({
    id: randomUUID(), userId, workspaceId, role: 'ADMIN', status: 'ACTIVE', customerRoles: [], accessControlEntities: [],
    lastLogin: null, version: 1, lastChange: null, applied: [], grant,
  });
  const grantOf = (requestId: string, requester: string, now: number, until: number): Grant => ({
    requestId, requester, role: 'ADMIN', revertTo: 'MEMBER', grantedAt: new Date(now), until: new Date(until),
  });

  async function grantsPrepare(a: { n: number; name: string; workspaceId: string; requester: string; approver: string; channel: string; leadMs: number; windowMs: number; parallel: number }) {
    const kw = running();
    const { store } = kw;
    const now = Date.now();
    const firstEnd = now + a.leadMs;
    prepared = [];
    for (let i = 0; i < a.n; i++) {
      const email = `grant-${a.name}-${i}@bench.example`;
      const user = await store.users.ensure({ id: randomUUID(), email, userName: email, firstName: 'Bench', lastName: 'Grant' });
      const until = firstEnd + Math.floor((i * a.windowMs) / a.n);
      const r = {
        id: randomUUID(), workspaceId: a.workspaceId, kind: 'permission.role', params: { email, role: 'ADMIN', minutes: 60 },
        requester: a.requester, reason: 'bench', status: 'APPLIED', approvals: [{ by: a.approver, at: new Date(now) }],
        decidedBy: a.approver, decidedAt: new Date(now), createdAt: new Date(now), expiresAt: new Date(now + 3 * DAY),
        slack: { channel: a.channel, ts: `1700000000.${String(i).padStart(6, '0')}` }, outcome: 'granted (bench)',
        appliedAt: new Date(now), notifiedAt: new Date(now), version: 3,
      } satisfies ChangeRequest;
      await store.requests.insert(r);
      const p = underGrant(user.id, a.workspaceId, grantOf(r.id, a.requester, now, until));
      await store.permissions.insert(p);
      prepared.push({ requestId: r.id, permissionId: p.id, until });
    }
    // Scheduled as the apply of each grant schedules its end, approvals arriving in parallel.
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < prepared.length) {
        const g = prepared[next++]!;
        await kw.grants.schedule({ type: 'permission', id: g.permissionId }, grantOf(g.requestId, a.requester, now, g.until));
      }
    };
    await Promise.all(Array.from({ length: a.parallel }, lane));
    const scheduledAt = Date.now();
    if (scheduledAt >= firstEnd) throw new Error(`scheduling ${a.n} ends took ${scheduledAt - now} ms, past the first end; give a longer lead`);
    return { scheduleMs: performance.now() - t0, grants: prepared.map((g) => [g.requestId, g.until] as const) };
  }

  async function grantsVerify() {
    const { store } = running();
    let reverted = 0;
    let lastRevertAt = 0;
    const latenessMs: number[] = [];
    for (const g of prepared) {
      const p = await store.permissions.findById(g.permissionId);
      const line = await store.history.findById(grantEndId(g.requestId));
      if (p?.role === 'MEMBER' && !p.grant && line) reverted++;
      if (line) latenessMs.push(line.at.getTime() - g.until);
      if (line) lastRevertAt = Math.max(lastRevertAt, line.at.getTime());
    }
    return { reverted, latenessMs, lastRevertAt };
  }

  let grown = 0;
  let lastDue: string[] = [];
  /** A fixed moment, an hour ahead, at which the due ones are due and the rest (2 h to 7 d later) are not. */
  const readAt = Date.now() + HOUR;

  async function grantsDueRead(a: { size: number; due: number; workspaceId: string; reads: number }) {
    const kw = running();
    const { store } = kw;
    // The previous round's due grants have been ended (as the sweep would): only this round's are due.
    for (const id of lastDue) {
      const p = (await store.permissions.findById(id))!;
      await store.permissions.update(id, p.version, { role: 'MEMBER', grant: null });
    }
    grown -= lastDue.length;
    lastDue = [];
    const add = a.size - grown;
    if (add < a.due) throw new Error(`due-read sizes must grow by at least ${a.due}`);
    const now = Date.now();
    const insertStarted = performance.now();
    for (let j = 0; j < add; j++) {
      const i = grown + j;
      const due = j >= add - a.due;
      const until = due ? readAt - (i % 600) * 1000 : readAt + 2 * HOUR + (i % (166 * 60)) * 60_000;
      const p = underGrant(randomUUID(), a.workspaceId, grantOf(randomUUID(), 'UBENCH', now, until));
      await store.permissions.insert(p);
      if (due) lastDue.push(p.id);
      if (j % 10_000 === 9_999) await new Promise((r) => setImmediate(r));
    }
    grown = a.size;
    const insertMs = performance.now() - insertStarted;
    if (add > 1_000) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 1000));
    }
    const at = new Date(readAt);
    const read = async () => {
      const t = performance.now();
      const due = await kw.grants.subjects.listDue(at, 200);
      const ms = performance.now() - t;
      if (due.length !== a.due) throw new Error(`the read over ${a.size} grants found ${due.length} due, not ${a.due}`);
      return ms;
    };
    for (let i = 0; i < 10; i++) await read(); // warm
    const runs: number[] = [];
    for (let i = 0; i < a.reads; i++) runs.push(await read());
    runs.sort((x, y) => x - y);
    return { ms: runs[Math.floor(runs.length / 2)]!, p90: runs[Math.floor(runs.length * 0.9)]!, insertMs, active: await store.permissions.countGrants() };
  }

  return { grantsPrepare, grantsVerify, grantsDueRead };
}
