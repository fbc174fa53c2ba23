/**
 * Fault: the store fails or is slow.
 *
 * 1. Use cases, one failure at every call: asking for a change, deciding it and applying it, with
 *    the k-th store (or Slack) call failing as a dropped MongoDB connection would, for every k.
 *    A failure either changes nothing and says so plainly, or leaves a state the next step (a
 *    retried job, the outbox sweep, another click) completes: never a half-applied request.
 * 2. End to end through Slack and the API, with the store down and then slow: people get a clear
 *    message (Slack) or a 503 in the envelope (API), acks stay under 3 s, and nothing is stored half.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStoreUnavailable } from '../../src/app/store-unavailable.js';
import { isDomainError } from '../../src/domain/errors.js';
import { ids } from '../../src/slack/ids.js';
import { STORE_UNAVAILABLE_TEXT } from '../../src/slack/reply.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { ACTIVE, ADMIN, APPROVER1, TEAM } from '../app/fixtures.js';
import { accessTokenFor, addTechnicalUser, call, exchange, listPath } from '../api/api-client.js';
import { faultyStore, type FaultyStore } from '../helpers/faulty-store.js';
import { ADMIN as SLACK_ADMIN, APPROVER1 as SLACK_APPROVER, startTestApp, WS_ID, type TestApp } from '../helpers/keywarden.js';
import { crashWorld, SCENARIOS } from './crash-world.js';
import { recordFigures } from './figures.js';
import { ask, waitForStatus } from './flow.js';

const archiveActive = { kind: 'permission.archive', params: { email: ACTIVE } } as const;
/** What the Slack edge would say for an error: the rule, or the store's "try again". */
const clear = (err: unknown) => isDomainError(err) || isStoreUnavailable(err);

describe('one store or Slack failure at every call of the approval flow', () => {
  const figures = { submit: 0, decide: 0, apply: 0 };
  afterAll(() => recordFigures('store-fault-points', figures));

  it('submit: fails cleanly (nothing requested, or the request cancelled) or succeeds', async () => {
    const clean = await crashWorld();
    clean.f.calls.length = 0;
    await clean.requests.submit({ workspace: clean.ws, requester: ADMIN, request: archiveActive, reason: null });
    const n = clean.f.calls.length;
    for (let k = 1; k <= n; k++) {
      const w = await crashWorld();
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { fail: true } : undefined);
      let result;
      try {
        result = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
      } catch (err) {
        expect(clear(err), `call ${k}: ${String(err)}`).toBe(true);
      }
      w.f.rule = () => undefined;
      // Every approval message that went out names a request that stands; every other is cancelled.
      for (const posted of w.notifier.created) {
        const stored = await w.f.store.requests.findById(posted.id);
        expect(stored?.status, `call ${k}`).toBe(result?.id === posted.id ? 'PENDING' : 'CANCELLED');
      }
      if (result) expect((await w.f.store.requests.findById(result.id))?.status).toBe('PENDING');
      figures.submit++;
    }
  });

  it('submit killed at any call: after 5 minutes every stored request is posted and can be decided', async () => {
    const clean = await crashWorld();
    clean.f.calls.length = 0;
    await clean.requests.submit({ workspace: clean.ws, requester: ADMIN, request: archiveActive, reason: null });
    const cuts = clean.f.calls.map((c) => `${c.repo}.${c.method}`);
    const outcomes: Record<string, string> = {};
    for (let k = 1; k <= cuts.length; k++) {
      const w = await crashWorld();
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { hang: true } : undefined);
      void w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 20));
      w.f.rule = () => undefined;
      const stored = (await w.f.store.requests.listByWorkspace(w.ws.id, { limit: 10 }));
      w.clock.advance(6 * 60_000);
      await w.requests.postUnposted();
      for (const r of stored) {
        const now = (await w.f.store.requests.findById(r.id))!;
        expect(now, `cut at ${cuts[k - 1]}`).toMatchObject({ status: 'PENDING', slack: { channel: 'CAPPROVALS' } });
        const decided = await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict: 'approve' });
        expect(decided.request.status, `cut at ${cuts[k - 1]}`).toBe('APPROVED');
      }
      // One approval message, except when the process stopped between posting it and recording
      // where it is: the sweep cannot know the first one is out, and posts a second.
      const posts = w.notifier.created.length;
      expect(posts, `cut at ${cuts[k - 1]}`).toBe(stored.length === 0 ? 0 : cuts[k - 1] === 'requests.setSlackRef' ? 2 : 1);
      outcomes[`${k}. ${cuts[k - 1]}`] = stored.length === 0 ? 'nothing stored' : `posted ${posts}x`;
    }
    expect(Object.values(outcomes)).toContain('posted 1x');
    recordFigures('submit-cut-points', outcomes);
  });

  it.each(['approve', 'reject'] as const)('decide (%s): a failed click leaves the request pending and can be clicked again', async (verdict) => {
    const clean = await crashWorld();
    const r0 = await clean.requests.submit({ workspace: clean.ws, requester: ADMIN, request: archiveActive, reason: null });
    clean.f.calls.length = 0;
    await clean.requests.decide({ requestId: r0.id, actor: APPROVER1, teamId: TEAM, verdict });
    const n = clean.f.calls.length;
    for (let k = 1; k <= n; k++) {
      const w = await crashWorld();
      const r = await w.requests.submit({ workspace: w.ws, requester: ADMIN, request: archiveActive, reason: null });
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { fail: true } : undefined);
      let decided = true;
      try {
        await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict });
      } catch (err) {
        decided = false;
        expect(clear(err), `call ${k}: ${String(err)}`).toBe(true);
      }
      w.f.rule = () => undefined;
      const after = (await w.f.store.requests.findById(r.id))!;
      // "Nothing was changed" must be true when the approver is told so.
      expect(after.status, `call ${k} (${w.f.calls[k - 1]?.repo}.${w.f.calls[k - 1]?.method})`).toBe(decided ? (verdict === 'approve' ? 'APPROVED' : 'REJECTED') : 'PENDING');
      if (!decided) await w.requests.decide({ requestId: r.id, actor: APPROVER1, teamId: TEAM, verdict });
      if (verdict === 'approve') {
        // Queued then or by the outbox sweep; applied once.
        w.clock.advance(31_000);
        await w.requests.sweepApproved();
        expect(w.queue.enqueued).toContain(r.id);
        await w.requests.apply(r.id);
        expect((await w.f.store.requests.findById(r.id))!.status).toBe('APPLIED');
      } else {
        expect(w.notifier.told.filter((x) => x.id === r.id).length + ((await w.f.store.requests.findById(r.id))!.undelivered?.length ?? 0)).toBeGreaterThanOrEqual(1);
      }
      figures.decide++;
    }
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('apply %s: any one failure is retried to a single application', async (_name, s) => {
    const clean = await crashWorld();
    const { id: cleanId } = await s.setup(clean);
    clean.f.calls.length = 0;
    await clean.requests.apply(cleanId);
    const n = clean.f.calls.length;
    for (let k = 1; k <= n; k++) {
      const w = await crashWorld();
      const { id, before } = await s.setup(w);
      w.f.calls.length = 0;
      w.f.rule = (c) => (c.n === k ? { fail: true } : undefined);
      let threw = false;
      await w.requests.apply(id).catch(() => (threw = true));
      w.f.rule = () => undefined;
      if (threw) expect((await w.f.store.requests.findById(id))!.status === 'APPLIED' || (await w.f.store.requests.findById(id))!.status === 'APPROVED').toBe(true);
      await w.requests.apply(id); // the queue's retry
      await w.requests.apply(id); // and a duplicate
      expect((await w.f.store.requests.findById(id))!.status).toBe('APPLIED');
      await s.check(w, id, before);
      expect(w.notifier.told.filter((x) => x.id === id), `call ${k}`).toHaveLength(1);
      figures.apply++;
    }
  });
});

describe('end to end, with the store down and then slow', () => {
  let t: TestApp;
  let f: FaultyStore;
  beforeAll(async () => {
    f = faultyStore(createMemoryStore());
    t = await startTestApp({ store: f.store });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a slash command and a click while the store is down: a clear answer, nothing stored, and a retry works', async () => {
    const id = await ask(t, 'role jane.roe@meshlab.de ADMIN');
    const posts = t.slack.callsTo('chat.postMessage').length;
    f.rule = () => ({ fail: true });
    const cmd = await t.command(SLACK_ADMIN, 'archive max.muster@meshlab.de');
    const click = await t.click(ids.APPROVE, id, SLACK_APPROVER);
    expect(cmd.ms).toBeLessThan(3000);
    expect(click.ms).toBeLessThan(3000);
    expect(await t.answer(cmd.responseId)).toBe(STORE_UNAVAILABLE_TEXT);
    expect(await t.answer(click.responseId)).toBe(STORE_UNAVAILABLE_TEXT);
    f.rule = () => undefined;
    expect(t.slack.callsTo('chat.postMessage').length).toBe(posts);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    // The store is back: the same click works, once.
    expect(await t.answer((await t.click(ids.APPROVE, id, SLACK_APPROVER)).responseId)).toMatch(/^Approved\./);
    await waitForStatus(t, id, 'APPLIED');
    expect(t.logs.text).not.toMatch(/unexpected error in a Slack listener/);
  });

  it('the API answers 503 in its envelope, with Retry-After, while the store is down', async () => {
    const { token } = await addTechnicalUser(t.store, { workspaceId: WS_ID, role: 'ADMIN', now: new Date() });
    const jwt = await accessTokenFor(t.kw.url!, token);
    f.rule = (c) => (c.repo === 'technicalUsers' || c.repo === 'permissions' ? { fail: true } : undefined);
    const list = await call(t.kw.url!, 'GET', listPath(WS_ID), { bearer: jwt });
    const ex = await exchange(t.kw.url!, token);
    f.rule = () => undefined;
    expect(list.status).toBe(503);
    expect(list.headers.get('retry-after')).toBe('5');
    expect(list.json).toMatchObject({ status: 'ERROR', errors: [{ message: expect.stringMatching(/database is not answering/) }] });
    expect(ex.status).toBe(503);
    expect(ex.json).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await call(t.kw.url!, 'GET', listPath(WS_ID), { bearer: jwt })).status).toBe(200);
  });

  it('a slow store: acks stay under 3 s, the answers come when the store does, the change applies once', async () => {
    f.rule = () => ({ delayMs: 150 });
    const started = Date.now();
    const cmd = await t.command(SLACK_ADMIN, 'role max.muster@meshlab.de ADMIN');
    expect(cmd.ms).toBeLessThan(3000);
    const reply = await t.answer(cmd.responseId);
    const answeredMs = Date.now() - started;
    expect(reply).toMatch(/sent to <#CAPPROVALS>/);
    const short = /Request ([0-9a-f]{8})/.exec(reply)![1]!;
    const post = await t.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks ?? []).includes(short));
    const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
    const clicks = await Promise.all([1, 2, 3].map(() => t.click(ids.APPROVE, id, SLACK_APPROVER)));
    for (const c of clicks) expect(c.ms).toBeLessThan(3000);
    await waitForStatus(t, id, 'APPLIED', 30_000);
    f.rule = () => undefined;
    const user = await t.store.users.findByEmail('max.muster@meshlab.de');
    const p = (await t.store.permissions.find(WS_ID, user!.id))!;
    expect((await t.store.history.listBySubject('permission', p.id, 50)).filter((h) => h.requestId === id)).toHaveLength(1);
    recordFigures('store-slow', { delayPerCallMs: 150, ackMs: Math.round(cmd.ms), maxClickAckMs: Math.round(Math.max(...clicks.map((c) => c.ms))), answeredAfterMs: answeredMs, appliedOnce: 1 });
  }, 60_000);
});
