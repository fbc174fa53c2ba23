/**
 * Forged, replayed and malformed Slack requests against the running app, and the refusal log:
 * every refusal is one structured line `{ refusal, who, what }` with the message "refused".
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ids } from '../../src/slack/ids.js';
import {
  ADMIN, ADMIN2, APPROVALS, APPROVER1, OUTSIDER, SIGNING_SECRET, startTestApp, TEAM, TEAM2, WS2_ID, type TestApp,
} from '../helpers/keywarden.js';
import { appHomeOpenedBody, blockActionBody, postSigned, sign, slashCommandBody } from '../helpers/slack-requests.js';
import { recordFigures, size } from './figures.js';
import { ask, logLines } from './flow.js';

let t: TestApp;
const tried: Record<string, number> = {};
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  recordFigures('forged-slack', { inputsTried: tried });
  await t?.stop();
});

const refusals = () => logLines(t).filter((l) => l.msg === 'refused');
/** The refusal lines written while `f` ran. */
async function refusedDuring(f: () => Promise<void>): Promise<Array<Record<string, any>>> {
  const before = refusals().length;
  await f();
  await new Promise((r) => setTimeout(r, 50));
  return refusals().slice(before);
}

describe('forged interactions', () => {
  it("a button naming another workspace's request is refused, and logged with who tried what", async () => {
    // A request of workspace "strict" (team T2), clicked from team T1 by someone who approves in both.
    const sent = await t.command(ADMIN, 'archive jane.roe@meshlab.de', '/permission', { teamId: TEAM2 });
    const short = /Request ([0-9a-f]{8})/.exec(await t.answer(sent.responseId))![1]!;
    const post = await t.slack.waitFor('chat.postMessage', (c) => JSON.stringify(c.args.blocks ?? []).includes(short));
    const id = post.args.blocks.find((b: any) => b.type === 'actions').elements[0].value as string;
    let answer = '';
    const lines = await refusedDuring(async () => {
      answer = await t.answer((await t.click(ids.APPROVE, id, APPROVER1, { teamId: TEAM })).responseId);
    });
    expect(answer).toMatch(/does not belong to this Slack team/);
    expect(lines).toEqual([expect.objectContaining({ level: 40, refusal: 'AUTH.WRONG_TEAM', who: { user: APPROVER1, team: TEAM }, what: { action: 'approve', requestId: id } })]);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    expect((await t.store.requests.findById(id))!.workspaceId).toBe(WS2_ID);
    tried['other workspace request'] = 1;
  });

  it('a user from another team, and a user who is not an approver, are refused', async () => {
    const id = await ask(t, 'role jane.roe@meshlab.de VIEWER', '/permission', ADMIN2); // ADMIN2 also approves
    const lines = await refusedDuring(async () => {
      expect(await t.answer((await t.click(ids.APPROVE, id, OUTSIDER, { teamId: TEAM2 })).responseId)).toMatch(/does not belong/);
      expect(await t.answer((await t.click(ids.APPROVE, id, OUTSIDER)).responseId)).toMatch(/Only approvers/);
      expect(await t.answer((await t.click(ids.REJECT, id, ADMIN2)).responseId)).toMatch(/cannot decide your own request/);
    });
    expect(lines.map((l) => [l.refusal, l.who.user, l.who.team, l.what.requestId])).toEqual([
      ['AUTH.WRONG_TEAM', OUTSIDER, TEAM2, id],
      ['AUTH.NOT_APPROVER', OUTSIDER, TEAM, id],
      ['REQUEST.SELF_DECISION', ADMIN2, TEAM, id],
    ]);
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    tried['other team / not approver / self'] = 3;
  });

  it('button values that are not request ids (operator injection, oversized, unknown) change nothing', async () => {
    const id = await ask(t, 'role jane.roe@meshlab.de ADMIN');
    const values = ['{"$gt":""}', '{"$ne":null}', '[object Object]', `${id} `, id.toUpperCase().replace(/-/g, ''), 'x'.repeat(5000), '00000000-0000-4000-8000-000000000000', `${id}\u200b`];
    const lines = await refusedDuring(async () => {
      for (const v of values) {
        const c = await t.click(ids.APPROVE, v, APPROVER1);
        expect(c.status).toBe(200);
        expect(await t.answer(c.responseId)).toMatch(/does not name a request|does not exist/);
      }
    });
    // Only the well-formed id that names nothing reaches the use case; the rest do not parse.
    const M = 'SLACK.MALFORMED_PAYLOAD';
    expect(lines.map((l) => l.refusal)).toEqual([M, M, M, M, M, M, 'REQUEST.NOT_FOUND', M]);
    for (const l of lines) expect(l.level).toBe(40);
    for (const l of lines) expect(l.who).toMatchObject({ user: APPROVER1, team: TEAM });
    expect((await t.store.requests.findById(id))!.status).toBe('PENDING');
    tried['bad button values'] = values.length;
  });

  it("a Reveal button naming someone else's token, and a Rotate naming another workspace's technical user, are refused", async () => {
    const lines = await refusedDuring(async () => {
      expect(await t.answer((await t.click(ids.REVEAL, '7b1c9a52-0000-4000-8000-00000000abcd', OUTSIDER)).responseId)).toMatch(/no token to reveal/);
      expect(await t.answer((await t.click(ids.ROTATE_TOKEN, '7b1c9a52-0000-4000-8000-00000000abcd', ADMIN)).responseId)).toMatch(/no longer exists/);
    });
    expect(lines.map((l) => [l.refusal, l.who.user, l.what.action])).toEqual([
      ['REVEAL.UNAVAILABLE', OUTSIDER, 'reveal'],
      ['TECHUSER.NOT_FOUND', ADMIN, 'rotate'],
    ]);
    tried['reveal / rotate forged'] = 2;
  });
});

describe('signatures', () => {
  const body = () => slashCommandBody({ command: '/permission', text: 'archive jane.roe@meshlab.de replay', userId: ADMIN, responseUrl: t.slack.responseUrl(`replay-${Math.random()}`) });

  it('a replayed signed request is refused the second time, so a command is not asked twice', async () => {
    const b = body();
    const headers = sign(SIGNING_SECRET, b);
    const posts = t.slack.callsTo('chat.postMessage').length;
    let second;
    const lines = await refusedDuring(async () => {
      const first = await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers });
      expect(first.status).toBe(200);
      second = await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers });
    });
    // Acked like the original (the check comes after the ack: receiver.ts), then refused.
    expect(second!.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.callsTo('chat.postMessage').length - posts).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 40, refusal: 'SLACK.REPLAYED', who: { address: expect.any(String) }, what: expect.objectContaining({ path: '/slack/events' }) })]);
    tried['replayed signature'] = 1;
  });

  it('two copies of one signed command at once: one is carried out, the other refused', async () => {
    const b = body();
    const headers = sign(SIGNING_SECRET, b);
    const posts = t.slack.callsTo('chat.postMessage').length;
    const lines = await refusedDuring(async () => {
      const both = await Promise.all([0, 1].map(() => postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers })));
      expect(both.map((r) => r.status)).toEqual([200, 200]);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.callsTo('chat.postMessage').length - posts).toBe(1);
    expect(lines.map((l) => l.refusal)).toEqual(['SLACK.REPLAYED']);
    tried['simultaneous copies'] = 1;
  });

  it('a replayed Approve click is refused after its ack, before it decides anything', async () => {
    const id = await ask(t, 'role jane.roe@meshlab.de VIEWER');
    const responseId = `replay-click-${id}`;
    const b = blockActionBody({ actionId: ids.APPROVE, value: id, userId: APPROVER1, channelId: APPROVALS, responseUrl: t.slack.responseUrl(responseId) });
    const headers = sign(SIGNING_SECRET, b);
    const lines = await refusedDuring(async () => {
      expect((await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers })).status).toBe(200);
      await t.answer(responseId);
      expect((await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers })).status).toBe(200);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.calls.filter((c) => c.method === 'response_url' && c.args.responseId === responseId)).toHaveLength(1);
    expect((await t.store.requests.findById(id))!.approvals).toHaveLength(1);
    expect(lines.map((l) => l.refusal)).toEqual(['SLACK.REPLAYED']);
    expect(logLines(t).filter((l) => l.msg === 'unhandled error in a Slack listener' || l.msg === 'a Slack listener failed')).toEqual([]);
    tried['replayed click'] = 1;
  });

  it('a replayed event is refused after Bolt acks it: the Home tab is drawn once', async () => {
    const b = appHomeOpenedBody({ userId: ADMIN });
    const headers = sign(SIGNING_SECRET, b);
    const publishes = t.slack.callsTo('views.publish').length;
    const lines = await refusedDuring(async () => {
      expect((await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers, contentType: 'application/json' })).status).toBe(200);
      await t.slack.waitFor('views.publish', () => t.slack.callsTo('views.publish').length > publishes);
      expect((await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET, headers, contentType: 'application/json' })).status).toBe(200);
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(t.slack.callsTo('views.publish').length - publishes).toBe(1);
    expect(lines.map((l) => l.refusal)).toEqual(['SLACK.REPLAYED']);
    tried['replayed event'] = 1;
  });

  it('refuses a signature an hour ahead, one 6 minutes old, and a wrong one, each logged', async () => {
    const now = Math.floor(Date.now() / 1000);
    const lines = await refusedDuring(async () => {
      expect((await postSigned(t.kw.url!, body(), { secret: SIGNING_SECRET, timestampSec: now + 3600 })).status).toBe(401);
      expect((await postSigned(t.kw.url!, body(), { secret: SIGNING_SECRET, timestampSec: now - 360 })).status).toBe(401);
      expect((await postSigned(t.kw.url!, body(), { secret: 'not-the-secret-0123456789' })).status).toBe(401);
    });
    expect(lines.map((l) => [l.refusal, l.what.reason])).toEqual([
      ['SLACK.BAD_SIGNATURE', expect.stringMatching(/5 minutes/)],
      ['SLACK.BAD_SIGNATURE', expect.stringMatching(/5 minutes/)],
      ['SLACK.BAD_SIGNATURE', 'signature mismatch'],
    ]);
    tried['future / stale / wrong signature'] = 3;
  });
});

describe('team ids that are names of Object.prototype', () => {
  // Bolt keeps its Web API clients in a plain object keyed by team id: "toString" found a function
  // there and processing threw before anything was acked. The receiver then left the HTTP request
  // open for good (Slack times out; the connection stays until shutdown, which then hangs).
  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])('%s: the request is still answered at once', async (team) => {
    const c = await t.click(ids.APPROVE, '00000000-0000-4000-8000-000000000000', APPROVER1, { teamId: team });
    expect(c.status).toBe(200);
    expect(c.ms).toBeLessThan(3000);
    const cmd = await t.command(ADMIN, 'list', '/permission', { teamId: team });
    expect(cmd.status).toBe(200);
    expect(cmd.ms).toBeLessThan(3000);
    tried['prototype team ids'] = (tried['prototype team ids'] ?? 0) + 2;
  });
});

describe('refusals of slash commands are logged', () => {
  it('not an admin, and not allowed to read', async () => {
    const lines = await refusedDuring(async () => {
      await t.answer((await t.command(OUTSIDER, 'role jane.roe@meshlab.de ADMIN because')).responseId);
      await t.answer((await t.command(OUTSIDER, 'list', '/techuser')).responseId);
    });
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, refusal: 'AUTH.NOT_ADMIN', who: { user: OUTSIDER, team: TEAM }, what: { command: '/permission', text: 'role jane.roe@meshlab.de ADMIN because' } }),
      expect.objectContaining({ level: 40, refusal: 'AUTH.NOT_ADMIN', who: { user: OUTSIDER, team: TEAM }, what: { command: '/techuser', text: 'list' } }),
    ]);
  });

  it('a broken business rule is a refusal too, at info', async () => {
    const lines = await refusedDuring(async () => {
      await t.answer((await t.command(ADMIN2, 'activate john.doe@meshlab.de')).responseId);
    });
    expect(lines).toEqual([expect.objectContaining({ level: 30, refusal: 'PERMISSION.INVITED_TO_ACTIVE', who: { user: ADMIN2, team: TEAM } })]);
  });
});

describe('property: any signed slash command or button click', () => {
  it('is acked within 3 s and answered once, never with a stack trace', async () => {
    let n = 0;
    const answeredInAck = new Set<string>();
    const slackish = fc.oneof(fc.constantFrom(ADMIN, APPROVER1, OUTSIDER, 'U', 'u1', '{"$gt":""}', 'UADMIN1 '), fc.stringMatching(/^[A-Z0-9]{0,22}$/));
    const team = fc.oneof(fc.constantFrom(TEAM, TEAM2, 'T999', '', '$gt', 'toString', '__proto__', 'constructor'), fc.string({ maxLength: 12 }));
    const text = fc.oneof(
      fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 }),
      fc.constantFrom('role {"$gt":""} ADMIN', 'list workspace:{"$ne":null}', 'create сi-bot MEMBER 2031-01-01', 'history ../../etc', 'x'.repeat(2500)),
    );
    const command = fc.record({ kind: fc.constant('command' as const), name: fc.constantFrom('/permission', '/techuser'), text, user: slackish, team });
    const click = fc.record({
      kind: fc.constant('click' as const),
      action: fc.constantFrom(ids.APPROVE, ids.REJECT, ids.REVEAL, ids.ROTATE_TOKEN, ids.EXTEND_TOKEN),
      value: fc.oneof(fc.uuid(), fc.constantFrom('{"$gt":""}', '', 'null'), fc.string({ maxLength: 40 })),
      user: slackish,
      team,
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(command, click), async (input) => {
        const responseId = `fuzz-${++n}`;
        const responseUrl = t.slack.responseUrl(responseId);
        const b = input.kind === 'command'
          ? slashCommandBody({ command: input.name, text: input.text, userId: input.user, teamId: input.team, responseUrl })
          : blockActionBody({ actionId: input.action, value: input.value, userId: input.user, teamId: input.team, responseUrl, channelId: APPROVALS });
        const res = await postSigned(t.kw.url!, b, { secret: SIGNING_SECRET });
        tried[`fuzzed ${input.kind}`] = (tried[`fuzzed ${input.kind}`] ?? 0) + 1;
        expect(res.status, JSON.stringify(input).slice(0, 200)).toBe(200);
        expect(res.ms).toBeLessThan(3000);
        if (res.json?.text) answeredInAck.add(responseId);
        const answer = res.json?.text ?? String((await t.slack.waitFor('response_url', (c) => c.args.responseId === responseId, 5000)).args.text);
        expect(answer.length).toBeGreaterThan(0);
        expect(answer).not.toMatch(/\n\s+at |TypeError|undefined/);
      }),
      { numRuns: size(100, 1000), endOnFailure: true },
    );
    // Exactly one answer each: in the ack, or once through the response_url.
    await new Promise((r) => setTimeout(r, 300));
    const viaUrl = new Map<string, number>();
    for (const c of t.slack.callsTo('response_url')) viaUrl.set(c.args.responseId, (viaUrl.get(c.args.responseId) ?? 0) + 1);
    for (let i = 1; i <= n; i++) {
      const id = `fuzz-${i}`;
      expect((viaUrl.get(id) ?? 0) + (answeredInAck.has(id) ? 1 : 0), id).toBe(1);
    }
    expect(logLines(t).filter((l) => l.msg === 'unexpected error in a Slack listener')).toEqual([]);
  }, 120_000);
});
