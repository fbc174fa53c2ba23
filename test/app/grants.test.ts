/** Time-bound grants through the approval flow: given, extended, ended (at its end, early, superseded), once each. */
import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/domain/errors.js';
import type { Store } from '../../src/app/ports.js';
import { ACTIVE, ADMIN, APPROVER1, WS_ID } from './fixtures.js';
import { applyAndDieAt, approve, crashWorld, existingBot, type CrashWorld } from '../reliability/crash-world.js';

const HOUR = 3600_000;
const grantAdmin = (minutes = 240) => ({ kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes } }) as const;

async function permissionOf(w: CrashWorld) {
  const user = await w.f.store.users.findByEmail(ACTIVE);
  return (await w.f.store.permissions.find(WS_ID, user!.id))!;
}
const linesOf = async (w: CrashWorld) => (await w.f.store.history.listBySubject('permission', (await permissionOf(w)).id, 50)).map((h) => h.action);
async function setPolicy(store: Store, policy: Record<string, unknown>) {
  const ws = (await store.workspaces.findById(WS_ID))!;
  await store.workspaces.upsert({ ...ws, policy: { ...ws.policy, ...policy } });
}
async function granted(w: CrashWorld, minutes = 240) {
  const id = await approve(w, grantAdmin(minutes));
  expect(await w.requests.apply(id)).toMatchObject({ status: 'APPLIED' });
  return id;
}
const ref = async (w: CrashWorld) => ({ type: 'permission' as const, id: (await permissionOf(w)).id });

describe('time-bound grants', () => {
  it('gives the role for the time asked, keeps what it reverts to, and schedules its end', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    const p = await permissionOf(w);
    expect(p).toMatchObject({ role: 'ADMIN', grant: { requestId: id, role: 'ADMIN', revertTo: 'MEMBER', requester: ADMIN, until: new Date(w.clock.now().getTime() + 4 * HOUR) } });
    expect(w.timer.scheduled).toEqual([{ grantId: id, subject: { type: 'permission', id: p.id }, until: p.grant!.until }]);
    expect(await w.f.store.history.findById(id)).toMatchObject({ action: 'permission.granted', before: { role: 'MEMBER' }, after: { role: 'ADMIN', until: p.grant!.until } });
    expect((await w.f.store.requests.findById(id))!.outcome).toContain('for 4 hours');
  });

  it('is reverted exactly once at its end, by the system, with one DM', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    expect(await w.grants.expire(await ref(w), id)).toBe('not-due');
    w.clock.advance(4 * HOUR);
    expect(await w.grants.expire(await ref(w), id)).toBe('ended');
    expect(await w.grants.expire(await ref(w), id)).toBe('already-ended');
    expect(await w.grants.sweep()).toBe(0);
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await w.f.store.history.findById(`${id}:end`)).toMatchObject({ action: 'permission.grant_ended', actor: { type: 'system' }, requestId: id, before: { role: 'ADMIN' }, after: { role: 'MEMBER' } });
    expect(w.notifier.grantEnds).toEqual([{ id, end: { how: 'expired' }, revertedTo: 'MEMBER' }]);
  });

  it('a later approved change wins: the grant is closed as superseded and never reverted', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    const later = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER' } });
    await w.requests.apply(later);
    w.clock.advance(5 * HOUR);
    expect(await w.grants.expire(await ref(w), id)).toBe('not-active');
    expect(await w.grants.sweep()).toBe(0);
    expect(await permissionOf(w)).toMatchObject({ role: 'VIEWER', grant: null });
    expect(await w.f.store.history.findById(`${id}:superseded`)).toMatchObject({ action: 'permission.grant_superseded', reason: `superseded by change ${later}` });
    expect(w.notifier.grantEnds).toEqual([]);
  });

  it('a permanent request for the granted role keeps it for good', async () => {
    const w = await crashWorld();
    await granted(w);
    const keep = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } });
    expect(await w.requests.apply(keep)).toMatchObject({ status: 'APPLIED' });
    w.clock.advance(5 * HOUR);
    expect(await w.grants.sweep()).toBe(0);
    expect(await permissionOf(w)).toMatchObject({ role: 'ADMIN', grant: null });
  });

  it('a status change does not end the grant; the role still goes back', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    await w.requests.apply(await approve(w, { kind: 'permission.archive', params: { email: ACTIVE } }));
    w.clock.advance(4 * HOUR);
    expect(await w.grants.sweep()).toBe(1);
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', status: 'ARCHIVED', grant: null });
    expect(w.notifier.grantEnds.map((e) => e.id)).toEqual([id]);
  });

  it('End now: the requester or an approver, at once; anyone else is refused; a second End now is told it is over', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    await expect(w.grants.endNow(id, 'USTRANGER')).rejects.toMatchObject({ code: Codes.GRANT_NOT_YOURS });
    expect(await w.grants.endNow(id, APPROVER1)).toEqual({ label: ACTIVE, revertTo: 'MEMBER' });
    await expect(w.grants.endNow(id, ADMIN)).rejects.toMatchObject({ code: Codes.GRANT_NOT_ACTIVE });
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect(await w.f.store.history.findById(`${id}:end`)).toMatchObject({ actor: { type: 'slack', id: APPROVER1 }, reason: 'ended early' });
    w.clock.advance(5 * HOUR);
    // The timer finds it ended by someone else: nothing of its own to finish.
    expect(await w.grants.expire(await ref(w), id)).toBe('not-active');
    expect(w.notifier.grantEnds).toEqual([{ id, end: { how: 'ended', by: APPROVER1 }, revertedTo: 'MEMBER' }]);
  });

  it('End now and the revert at the same moment: one end, one history line, one DM', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    w.clock.advance(4 * HOUR);
    const r = await ref(w);
    const results = await Promise.allSettled([w.grants.endNow(id, ADMIN), w.grants.expire(r, id), w.grants.sweep(), w.grants.expire(r, id)]);
    expect(results.filter((x) => x.status === 'rejected').every((x) => (x as PromiseRejectedResult).reason.code === Codes.GRANT_NOT_ACTIVE)).toBe(true);
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect((await linesOf(w)).filter((a) => a === 'permission.grant_ended')).toHaveLength(1);
    expect(w.notifier.grantEnds).toHaveLength(1);
  });

  it('Extend: an approved extension moves the end; the old timer finds it not due and sets the new one', async () => {
    const w = await crashWorld();
    const id = await granted(w, 60);
    const ext = await approve(w, { kind: 'permission.extend', params: { email: ACTIVE, grantId: id, minutes: 120, grantRole: 'ADMIN' } });
    expect(await w.requests.apply(ext)).toMatchObject({ status: 'APPLIED' });
    const until = new Date(w.clock.now().getTime() + 3 * HOUR);
    expect((await permissionOf(w)).grant).toMatchObject({ requestId: id, until });
    w.clock.advance(HOUR);
    expect(await w.grants.expire(await ref(w), id)).toBe('not-due');
    expect(w.timer.scheduled.at(-1)).toMatchObject({ grantId: id, until });
    w.clock.advance(2 * HOUR);
    expect(await w.grants.sweep()).toBe(1);
    expect(await w.f.store.history.findById(ext)).toMatchObject({ action: 'permission.grant_extended', after: { until } });
  });

  it('an extension of a grant that ended meanwhile fails with a readable reason; nothing changes', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    const ext = await approve(w, { kind: 'permission.extend', params: { email: ACTIVE, grantId: id, minutes: 60, grantRole: 'ADMIN' } });
    await w.grants.endNow(id, ADMIN);
    await expect(w.requests.apply(ext)).rejects.toMatchObject({ code: Codes.GRANT_NOT_ACTIVE });
    expect(await w.f.store.requests.findById(ext)).toMatchObject({ status: 'FAILED', outcome: expect.stringContaining('has already ended') });
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
  });

  it('the workspace policy is checked before anyone is asked: the maximum, and temporary-only roles', async () => {
    const w = await crashWorld();
    await setPolicy(w.f.store, { maxGrantHours: 8, temporaryOnlyRoles: ['ADMIN'] });
    const ws = (await w.f.store.workspaces.findById(WS_ID))!;
    const submit = (request: Parameters<typeof w.requests.submit>[0]['request']) => w.requests.submit({ workspace: ws, requester: ADMIN, request, reason: null });
    await expect(submit(grantAdmin(9 * 60))).rejects.toMatchObject({ code: Codes.GRANT_TOO_LONG, message: expect.stringContaining('at most 8 hours') });
    await expect(submit({ kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } })).rejects.toMatchObject({ code: Codes.GRANT_TEMPORARY_ONLY });
    await expect(submit({ kind: 'permission.invite', params: { email: 'new@meshlab.de', role: 'ADMIN' } })).rejects.toMatchObject({ code: Codes.GRANT_TEMPORARY_ONLY });
    expect(await submit(grantAdmin(8 * 60))).toMatchObject({ status: 'PENDING' });
    expect(await w.f.store.requests.listByWorkspace(WS_ID, { limit: 10 })).toHaveLength(1);
  });

  it('an extension past the maximum counted from now is refused', async () => {
    const w = await crashWorld();
    await setPolicy(w.f.store, { maxGrantHours: 8 });
    const id = await granted(w, 6 * 60);
    const ws = (await w.f.store.workspaces.findById(WS_ID))!;
    await expect(w.requests.submit({ workspace: ws, requester: ADMIN, request: { kind: 'permission.extend', params: { email: ACTIVE, grantId: id, minutes: 3 * 60, grantRole: 'ADMIN' } }, reason: null }))
      .rejects.toMatchObject({ code: Codes.GRANT_TOO_LONG });
  });

  it('a grant whose timer could not be set is ended by the sweep, once however many sweeps run', async () => {
    const w = await crashWorld();
    w.timer.down = true;
    const id = await granted(w, 30);
    w.clock.advance(31 * 60_000);
    const ended = await Promise.all([w.grants.sweep(), w.grants.sweep(), w.grants.sweep()]);
    expect(ended.reduce((a, b) => a + b, 0)).toBe(1);
    expect(w.notifier.grantEnds.map((e) => e.id)).toEqual([id]);
  });

  it('a DM that fails is sent by the next run of the end job, not twice', async () => {
    const w = await crashWorld();
    const id = await granted(w);
    w.clock.advance(4 * HOUR);
    w.notifier.failGrantEnded = 1;
    await expect(w.grants.expire(await ref(w), id)).rejects.toThrow('slack down');
    expect(await w.grants.expire(await ref(w), id)).toBe('already-ended');
    expect(await w.grants.expire(await ref(w), id)).toBe('already-ended');
    expect(w.notifier.grantEnds).toHaveLength(1);
  });

  it('works the same for a technical user', async () => {
    const w = await crashWorld();
    const bot = await existingBot(w, 'grant-bot');
    const id = await approve(w, { kind: 'techuser.role', params: { userName: 'grant-bot', role: 'ADMIN', minutes: 30 } });
    await w.requests.apply(id);
    expect(await w.f.store.technicalUsers.findById(bot.id)).toMatchObject({ role: 'ADMIN', grant: { revertTo: 'MEMBER' } });
    w.clock.advance(30 * 60_000);
    expect(await w.grants.sweep()).toBe(1);
    expect(await w.f.store.technicalUsers.findById(bot.id)).toMatchObject({ role: 'MEMBER', grant: null });
    expect((await w.grants.list(WS_ID))).toEqual([]);
  });

  it('lists the active grants of a workspace, soonest end first', async () => {
    const w = await crashWorld();
    await existingBot(w, 'list-bot');
    await w.requests.apply(await approve(w, { kind: 'techuser.role', params: { userName: 'list-bot', role: 'ADMIN', minutes: 600 } }));
    await granted(w, 60);
    expect((await w.grants.list(WS_ID)).map((g) => [g.subject.label, g.grant.role])).toEqual([[ACTIVE, 'ADMIN'], ['list-bot', 'ADMIN']]);
    expect(await w.f.store.permissions.countGrants()).toBe(1);
  });

  it('a grant re-run after its first run died is given once, whatever happened since', async () => {
    const w = await crashWorld();
    const id = await approve(w, grantAdmin());
    await applyAndDieAt(w, id, 'history', 'append'); // given, no history line, not marked
    await w.grants.endNow(id, ADMIN);
    expect(await w.requests.apply(id)).toMatchObject({ status: 'APPLIED' });
    expect(await permissionOf(w)).toMatchObject({ role: 'MEMBER', grant: null });
    expect((await linesOf(w)).sort()).toEqual(['permission.grant_ended', 'permission.granted']);
  });
});
