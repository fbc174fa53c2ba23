/**
 * Break-glass lines go to each place on its own claim (findings 6 and 7 of the second review): a
 * channel that fails in passing is tried again at the next sweep, alone; one that refuses for good
 * is left; an announcement still owed is made by the sweep, once per place.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BreakGlassService } from '../../src/app/break-glass.js';
import type { GrantService } from '../../src/app/grants.js';
import type { Policies } from '../../src/app/policies.js';
import { MessageRefusedError } from '../../src/app/ports.js';
import type { ChangeRequest } from '../../src/domain/request.js';
import { createLog } from '../../src/log.js';
import { ACTIVE, ADMIN, world } from './fixtures.js';

const DAY = 86_400_000;

async function setUp(fail: (where: string) => Error | null) {
  const w = await world();
  await w.store.workspaces.upsert({ ...w.ws, slack: { ...w.ws.slack, notificationChannels: ['CSEC', 'COLD'] } });
  const at = new Date(w.clock.now().getTime() - 2 * DAY);
  const r = {
    id: randomUUID(), workspaceId: w.ws.id, kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes: 60 }, requester: ADMIN,
    reason: 'incident 47: the queue is stuck', status: 'APPLIED', approvals: [], decidedBy: null, decidedAt: at, createdAt: at,
    expiresAt: new Date(at.getTime() + DAY), slack: { channel: 'CAPPROVALS', ts: '1.1' }, outcome: 'done', appliedAt: at, notifiedAt: at, version: 2,
    breakGlass: { reviewedBy: null, reviewedAt: null, verdict: null, announce: true },
  } as ChangeRequest;
  await w.store.requests.insert(r);
  const sent: string[] = [];
  const line = (what: string) => async (_r: ChangeRequest, _ws: unknown, ...rest: unknown[]) => {
    const where = String(rest[rest.length - 1]);
    const err = fail(`${what}:${where}`);
    if (err) throw err;
    sent.push(`${what}:${where}`);
  };
  Object.assign(w.notifier, { breakGlassUsed: line('used'), breakGlassUnreviewed: line('unreviewed') });
  const service = new BreakGlassService({
    store: w.store, clock: w.clock, log: createLog('silent'), notifier: w.notifier, grants: {} as GrantService, policies: {} as Policies,
  });
  return { w, r, sent, service };
}

describe('break-glass lines, place by place', () => {
  it('makes an owed announcement and a due reminder in every place, once, however often the sweep runs', async () => {
    const { sent, service } = await setUp(() => null);
    await service.remindUnreviewed();
    await service.remindUnreviewed();
    expect(sent.sort()).toEqual(['unreviewed:COLD', 'unreviewed:CSEC', 'unreviewed:thread', 'used:COLD', 'used:CSEC', 'used:thread']);
  });

  it('tries a channel that failed in passing again, alone; leaves one that refused for good', async () => {
    let passing = 1;
    const { sent, service } = await setUp((what) => {
      if (what.endsWith(':COLD')) return new MessageRefusedError('chat.postMessage: is_archived');
      if (what === 'unreviewed:CSEC' && passing-- > 0) return new Error('fetch failed');
      return null;
    });
    await service.remindUnreviewed();
    expect(sent.sort()).toEqual(['unreviewed:thread', 'used:CSEC', 'used:thread']);
    await service.remindUnreviewed();
    await service.remindUnreviewed();
    expect(sent.sort()).toEqual(['unreviewed:CSEC', 'unreviewed:thread', 'used:CSEC', 'used:thread']);
  });
});
