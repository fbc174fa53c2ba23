/**
 * Property: for random sequences of grants, permanent changes, extensions, End now, timer fires,
 * sweeps, races of End now with the timer and the sweep, and clock jumps, on one permission and
 * one technical user, the real use cases (approval flow, compare-and-set store, history,
 * notifier) end where a simple model ends: the same role, the same grant (id, role, end, what it
 * reverts to), the same requests accepted and refused. And whatever the sequence: no grant is
 * ended twice (one end or supersede line at most, exactly one once it is closed), one DM per
 * end, and each end's line names who really ended it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import type { Role } from '../../src/domain/permission.js';
import type { NewRequest } from '../../src/domain/request.js';
import { approve, crashWorld, existingBot, type CrashWorld } from '../reliability/crash-world.js';
import { recordFigures, size } from '../reliability/figures.js';
import { ACTIVE, ADMIN, APPROVER1, WS_ID } from './fixtures.js';

const MINUTE = 60_000;
const MAX_MINUTES = 168 * 60; // the default maxGrantHours
const ROLES: Role[] = ['VIEWER', 'MEMBER', 'ADMIN'];
const BOT = 'prop-bot';

type Subject = 0 | 1; // the permission of ACTIVE, the technical user BOT
type Cmd =
  | { op: 'grant'; s: Subject; role: Role; minutes: number }
  | { op: 'change'; s: Subject; role: Role }
  | { op: 'extend'; s: Subject; minutes: number }
  | { op: 'endNow'; s: Subject; by: 'requester' | 'approver' }
  | { op: 'fire'; pick: number }
  | { op: 'sweep' }
  | { op: 'race'; s: Subject; delays: number[] }
  | { op: 'jump'; minutes: number };

const subject = fc.constantFrom<Subject>(0, 1);
const role = fc.constantFrom(...ROLES);
// Mostly within the maximum, sometimes past it (refused).
const minutes = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 12 * 60 }) }, { weight: 1, arbitrary: fc.integer({ min: MAX_MINUTES - 60, max: MAX_MINUTES + 120 }) });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('grant' as const), s: subject, role, minutes }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('change' as const), s: subject, role }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('extend' as const), s: subject, minutes }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('endNow' as const), s: subject, by: fc.constantFrom('requester' as const, 'approver' as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('fire' as const), pick: fc.nat(50) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'sweep' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('race' as const), s: subject, delays: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 7, maxLength: 7 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('jump' as const), minutes: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 120, max: 3 * 24 * 60 })) }) },
);

interface ModelGrant { id: string; role: Role; revertTo: Role; until: number }
interface ModelSubject { role: Role; grant: ModelGrant | null; last: string | null }
/** How each grant was closed, as the model says (a race's winner is not the model's to say). */
type Closed = 'expired' | 'ended' | 'superseded' | 'ended-or-expired';

class Model {
  now: number;
  subjects: ModelSubject[] = [{ role: 'MEMBER', grant: null, last: null }, { role: 'MEMBER', grant: null, last: null }];
  closed = new Map<string, Closed>();
  constructor(now: number) {
    this.now = now;
  }
  canGrant(s: Subject, role: Role, minutes: number): boolean {
    const x = this.subjects[s]!;
    return minutes <= MAX_MINUTES && (x.grant ? x.grant.role !== role : x.role !== role);
  }
  grant(s: Subject, id: string, role: Role, minutes: number) {
    const x = this.subjects[s]!;
    if (x.grant) this.closed.set(x.grant.id, 'superseded');
    x.grant = { id, role, revertTo: x.grant?.revertTo ?? x.role, until: this.now + minutes * MINUTE };
    x.role = role;
    x.last = id;
  }
  canChange(s: Subject, role: Role): boolean {
    const x = this.subjects[s]!;
    return !!x.grant || x.role !== role;
  }
  change(s: Subject, role: Role) {
    const x = this.subjects[s]!;
    if (x.grant) this.closed.set(x.grant.id, 'superseded');
    x.grant = null;
    x.role = role;
  }
  canExtend(s: Subject, minutes: number): boolean {
    const g = this.subjects[s]!.grant;
    return !!g && g.until + minutes * MINUTE - this.now <= MAX_MINUTES * MINUTE;
  }
  end(s: Subject, how: Closed) {
    const x = this.subjects[s]!;
    this.closed.set(x.grant!.id, how);
    x.role = x.grant!.revertTo;
    x.grant = null;
  }
  due(s: Subject): boolean {
    const g = this.subjects[s]!.grant;
    return !!g && g.until <= this.now;
  }
}

const refused = (err: unknown) => {
  if (err instanceof DomainError) return 'refused' as const;
  throw err;
};

async function ask(w: CrashWorld, request: NewRequest): Promise<string | 'refused'> {
  try {
    const id = await approve(w, request);
    await w.requests.apply(id);
    return id;
  } catch (err) {
    return refused(err);
  }
}

const subjectParams = (s: Subject) => (s === 0 ? { email: ACTIVE } : { userName: BOT });
const kindOf = (s: Subject, what: 'role' | 'extend') => `${s === 0 ? 'permission' : 'techuser'}.${what}` as const;

async function run(cmds: Cmd[]): Promise<{ ends: number; supersedes: number; refusals: number }> {
  const w = await crashWorld();
  const bot = await existingBot(w, BOT);
  const user = (await w.f.store.users.findByEmail(ACTIVE))!;
  const permissionId = (await w.f.store.permissions.find(WS_ID, user.id))!.id;
  const refs = [{ type: 'permission' as const, id: permissionId }, { type: 'technicalUser' as const, id: bot.id }];
  const m = new Model(w.clock.now().getTime());
  let refusals = 0;
  const expectRefusal = (got: unknown, expected: boolean, what: string) => {
    expect(got === 'refused', `${what}: ${expected ? 'refused' : 'accepted'} by the model`).toBe(expected);
    if (expected) refusals++;
  };

  for (const c of cmds) {
    switch (c.op) {
      case 'grant': {
        const ok = m.canGrant(c.s, c.role, c.minutes);
        const id = await ask(w, { kind: kindOf(c.s, 'role'), params: { ...subjectParams(c.s), role: c.role, minutes: c.minutes } } as NewRequest);
        expectRefusal(id, !ok, `grant ${c.role} for ${c.minutes}m`);
        if (ok) m.grant(c.s, id, c.role, c.minutes);
        break;
      }
      case 'change': {
        const ok = m.canChange(c.s, c.role);
        const id = await ask(w, { kind: kindOf(c.s, 'role'), params: { ...subjectParams(c.s), role: c.role } } as NewRequest);
        expectRefusal(id, !ok, `change to ${c.role}`);
        if (ok) m.change(c.s, c.role);
        break;
      }
      case 'extend': {
        const grantId = m.subjects[c.s]!.last;
        if (!grantId) break;
        const ok = m.subjects[c.s]!.grant?.id === grantId && m.canExtend(c.s, c.minutes);
        const id = await ask(w, { kind: kindOf(c.s, 'extend'), params: { ...subjectParams(c.s), grantId, minutes: c.minutes, grantRole: m.subjects[c.s]!.grant?.role ?? 'VIEWER' } } as NewRequest);
        expectRefusal(id, !ok, `extend by ${c.minutes}m`);
        if (ok) m.subjects[c.s]!.grant!.until += c.minutes * MINUTE;
        break;
      }
      case 'endNow': {
        const grantId = m.subjects[c.s]!.last;
        if (!grantId) break;
        const ok = m.subjects[c.s]!.grant?.id === grantId;
        const got = await w.grants.endNow(grantId, c.by === 'requester' ? ADMIN : APPROVER1).catch(refused);
        expectRefusal(got, !ok, 'End now');
        if (ok) m.end(c.s, 'ended');
        break;
      }
      case 'fire': {
        if (w.timer.scheduled.length === 0) break;
        const g = w.timer.scheduled[c.pick % w.timer.scheduled.length]!;
        const s: Subject = g.subject.type === 'permission' ? 0 : 1;
        const outcome = await w.grants.expire(g.subject, g.grantId);
        const ends = m.subjects[s]!.grant?.id === g.grantId && m.due(s);
        expect(outcome === 'ended', `timer of ${g.grantId.slice(0, 8)}: ${outcome}`).toBe(ends);
        if (ends) m.end(s, 'expired');
        break;
      }
      case 'sweep': {
        const due = ([0, 1] as Subject[]).filter((s) => m.due(s));
        expect(await w.grants.sweep()).toBe(due.length);
        for (const s of due) m.end(s, 'expired');
        break;
      }
      case 'race': {
        const g = m.subjects[c.s]!.grant;
        if (!g) break;
        // Store calls take a few ms each, in a pattern fast-check picks, so the three interleave.
        w.f.rule = (call) => ({ delayMs: c.delays[call.n % c.delays.length]! });
        await Promise.allSettled([w.grants.endNow(g.id, ADMIN), w.grants.expire(refs[c.s]!, g.id), w.grants.sweep()]);
        w.f.reset();
        m.end(c.s, m.due(c.s) ? 'ended-or-expired' : 'ended');
        // The sweep in the race ends the other subject's grant too, if it is due.
        const other: Subject = c.s === 0 ? 1 : 0;
        if (m.due(other)) m.end(other, 'expired');
        break;
      }
      case 'jump':
        w.clock.advance(c.minutes * MINUTE);
        m.now += c.minutes * MINUTE;
        break;
    }
  }

  // The subjects are where the model is.
  const real = [await w.f.store.permissions.findById(permissionId), await w.f.store.technicalUsers.findById(bot.id)];
  for (const s of [0, 1] as Subject[]) {
    const x = m.subjects[s]!;
    const r = real[s]!;
    expect(r.role, `subject ${s} role`).toBe(x.role);
    expect(r.grant ? { id: r.grant.requestId, role: r.grant.role, revertTo: r.grant.revertTo, until: r.grant.until.getTime() } : null, `subject ${s} grant`).toEqual(x.grant);
  }
  // Every grant is closed at most once, and exactly once when the model closed it; one DM per end.
  const lines = [
    ...(await w.f.store.history.listBySubject('permission', permissionId, 1000)),
    ...(await w.f.store.history.listBySubject('technicalUser', bot.id, 1000)),
  ];
  const granted = lines.filter((l) => l.action.endsWith('.granted')).map((l) => l.requestId!);
  expect(new Set(granted).size, 'one line per grant given').toBe(granted.length);
  let ends = 0;
  let supersedes = 0;
  for (const id of granted) {
    const closing = lines.filter((l) => l.requestId === id && (l.action.endsWith('.grant_ended') || l.action.endsWith('.grant_superseded')));
    const dms = w.notifier.grantEnds.filter((e) => e.id === id);
    const how = m.closed.get(id);
    expect(closing.length, `closing lines of grant ${id.slice(0, 8)} (model: ${how ?? 'active'})`).toBe(how ? 1 : 0);
    expect(dms.length, `end DMs of grant ${id.slice(0, 8)}`).toBe(how && how !== 'superseded' ? 1 : 0);
    if (!how) continue;
    const line = closing[0]!;
    if (how === 'superseded') {
      expect(line.action).toMatch(/grant_superseded$/);
      supersedes++;
      continue;
    }
    expect(line.action).toMatch(/grant_ended$/);
    ends++;
    // The line and the DM name the same end, the one that really happened.
    const end = dms[0]!.end;
    if (how !== 'ended-or-expired') expect(end.how).toBe(how);
    expect(line.actor).toEqual(end.how === 'expired' ? { type: 'system' } : { type: 'slack', id: (end as { by: string }).by });
  }
  return { ends, supersedes, refusals };
}

describe('time-bound grants against a model', () => {
  it('random sequences end where the model ends, and no grant ends twice', async () => {
    const totals = { runs: 0, commands: 0, ends: 0, supersedes: 0, refusals: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(cmd, { minLength: 1, maxLength: 40, size: 'max' }), async (cmds) => {
        const r = await run(cmds);
        totals.runs++;
        totals.commands += cmds.length;
        totals.ends += r.ends;
        totals.supersedes += r.supersedes;
        totals.refusals += r.refusals;
      }),
      { numRuns: size(150, 2000) },
    );
    // Not a vacuous pass: the sequences did end, supersede and refuse grants.
    expect(totals.ends).toBeGreaterThan(50);
    expect(totals.supersedes).toBeGreaterThan(10);
    expect(totals.refusals).toBeGreaterThan(10);
    recordFigures('grant-model', totals);
  }, 120_000);
});
