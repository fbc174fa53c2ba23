/**
 * The own-permission rule in the use cases: re-checked when an approved change is carried out
 * (who is who can change between the click and the job), and a Slack that cannot say then makes
 * the job retry rather than apply or fail for good.
 */
import { describe, expect, it } from 'vitest';
import { Identities } from '../../src/app/identity.js';
import type { People } from '../../src/app/ports/people.js';
import { PermissionRequests } from '../../src/app/permission-requests.js';
import { RequestService } from '../../src/app/requests.js';
import { checkNotOwn, seededSlackUser } from '../../src/domain/identity.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, APPROVER1, TEAM, world } from './fixtures.js';

class FakePeople implements People {
  readonly emails = new Map<string, string>();
  down = false;
  async emailOf(id: string) {
    if (this.down) throw new Error('slack down');
    return this.emails.get(id) ?? null;
  }
  async userOf(email: string) {
    return [...this.emails].find(([, e]) => e === email)?.[0] ?? null;
  }
  async forget() {}
}

async function setup() {
  const w = await world();
  const people = new FakePeople();
  people.emails.set(APPROVER1, 'approver.one@meshlab.de');
  const identities = new Identities({ people, log: createLog('silent') });
  const requests = new RequestService({
    store: w.store, handlers: { permission: new PermissionRequests(w.permissions) }, notifier: w.notifier, queue: w.queue, clock: w.clock, log: createLog('silent'), identities,
  });
  const r = await requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } }, reason: null });
  expect((await requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' })).request.status).toBe('APPROVED');
  return { ...w, people, requests, id: r.id };
}

describe('the own-permission rule at apply time', () => {
  it('does not carry out a change one of whose approvers turned out to be its subject', async () => {
    const w = await setup();
    w.people.emails.set(APPROVER1, 'Jane.Roe@meshlab.de');
    await expect(w.requests.apply(w.id)).rejects.toThrow(/approved a change of their own permission/);
    expect((await w.store.requests.findById(w.id))!.status).toBe('FAILED');
    expect((await w.permissionOf(ACTIVE)).role).toBe('MEMBER');
  });

  it('retries (a plain error, the request still APPROVED) while Slack cannot say who an approver is', async () => {
    const w = await setup();
    w.people.down = true;
    await expect(w.requests.apply(w.id)).rejects.toThrow(/could not establish who approver/);
    expect((await w.store.requests.findById(w.id))!.status).toBe('APPROVED');
    w.people.down = false;
    expect((await w.requests.apply(w.id))!.status).toBe('APPLIED');
    expect(w.notifier.subjects).toEqual([]); // Slack knows nobody with that email: nobody to tell
  });

  it('refuses asking for more time on one\'s own grant', async () => {
    const w = await setup();
    w.people.emails.set(ADMIN, ACTIVE);
    await expect(w.requests.submit({ workspace: w.ws, requester: ADMIN, request: { kind: 'permission.extend', params: { email: ACTIVE, grantId: w.id, minutes: 60, grantRole: 'ADMIN' } }, reason: null }))
      .rejects.toThrow(/You cannot extend a change of your own permission/);
  });

  it('tells the subject once, even when the apply job runs twice', async () => {
    const w = await setup();
    w.people.emails.set('UJANE', ACTIVE);
    await w.requests.apply(w.id);
    await w.requests.apply(w.id);
    expect(w.notifier.subjects.map((s) => s.to)).toEqual(['UJANE']);
  });
});

describe('who is who (domain)', () => {
  it('matches emails case-insensitively and refuses an unknown decider', () => {
    expect(() => checkNotOwn({ known: true, email: 'JANE.roe@meshlab.de', from: 'slack' }, 'jane.roe@MESHLAB.de', 'approve')).toThrow(/your own permission/);
    expect(() => checkNotOwn({ known: true, email: 'other@meshlab.de', from: 'slack' }, 'jane.roe@meshlab.de', 'approve')).not.toThrow();
    expect(() => checkNotOwn({ known: false, why: 'Slack did not answer' }, 'jane.roe@meshlab.de', 'approve')).toThrow(/could not establish who you are/);
    expect(seededSlackUser({ slackUsers: { U0ANN: 'Ann@Acme.example' } }, 'ann@acme.example')).toBe('U0ANN');
  });
});

describe('slackUsers in the seed file', () => {
  it('takes a map of Slack user ids to emails and names the path of a bad one', async () => {
    const { Seed } = await import('../../src/app/seed.js');
    const { seedIssue } = await import('../../src/store/seed-file.js');
    const ws = { id: '7c3f1a52-9d1e-4b8a-8e11-2f5d3c9a0b77', name: 'x', slack: { teamId: 'T1', approvalsChannel: 'C1' } };
    expect(Seed.parse({ workspaces: [{ ...ws, slackUsers: { U0ANN: 'ann@acme.example' } }] }).workspaces[0]!.slackUsers).toEqual({ U0ANN: 'ann@acme.example' });
    const bad = Seed.safeParse({ workspaces: [{ ...ws, slackUsers: { U0ANN: 'not an email' } }] });
    expect(bad.success).toBe(false);
    expect(seedIssue(bad.error!.issues[0]!)).toBe('workspaces[0].slackUsers.U0ANN: must be an email address');
  });
});
