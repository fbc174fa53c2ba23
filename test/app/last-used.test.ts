/** "Last used": every exchange notes it, the store is written at most once a minute per technical user. */
import { describe, expect, it } from 'vitest';
import { AccessTokenService } from '../../src/app/access-tokens.js';
import { LastUsedRecorder } from '../../src/app/last-used.js';
import type { AccessTokenSigner } from '../../src/app/ports.js';
import { createLog } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/index.js';
import { addTechnicalUser } from '../api/api-client.js';
import { faultyStore } from '../helpers/faulty-store.js';
import { workspace } from '../store/contract.js';
import { FakeClock } from './fixtures.js';

const signer: AccessTokenSigner = { sign: async () => 'signed', verify: async () => null, publicKeys: async () => [] };

async function setup() {
  const f = faultyStore(createMemoryStore());
  // The exchange serves only technical users of a workspace that exists.
  await f.store.workspaces.upsert(workspace({ id: 'ws-1' }));
  const clock = new FakeClock();
  const log = createLog('silent');
  const service = new AccessTokenService({ store: f.store, signer, clock, log, lastUsed: new LastUsedRecorder({ store: f.store, clock, log }) });
  const a = await addTechnicalUser(f.store, { workspaceId: 'ws-1', role: 'ADMIN', now: clock.now() });
  const b = await addTechnicalUser(f.store, { workspaceId: 'ws-1', role: 'VIEWER', now: clock.now() });
  for (const i of [a, b]) await f.store.ownership.insertIfAbsent({
    id: i.tu.id, workspaceId: 'ws-1', userName: i.tu.userName, owner: null, ownerSource: 'none', periodStart: clock.now(), stage: 'waiting',
    askedAt: null, escalatedAt: null, nextAt: null, lastReviewedAt: null, lastReviewedBy: null, lastUsedAt: null, deleteRequestId: null, version: 0,
  });
  return { f, clock, service, a, b };
}

describe('last used', () => {
  it('records the exchange, writing the store at most once a minute per technical user', async () => {
    const { f, clock, service, a, b } = await setup();
    const t0 = clock.now();
    for (let i = 0; i < 50; i++) await service.exchange(a.token);
    await service.exchange(b.token);
    expect(f.count('ownership', 'touchLastUsed')).toBe(2);
    expect((await f.store.ownership.findById(a.tu.id))!.lastUsedAt).toEqual(t0);
    clock.advance(59_000);
    await service.exchange(a.token);
    expect(f.count('ownership', 'touchLastUsed')).toBe(2);
    clock.advance(1_000);
    await service.exchange(a.token);
    expect(f.count('ownership', 'touchLastUsed')).toBe(3);
    expect((await f.store.ownership.findById(a.tu.id))!.lastUsedAt).toEqual(clock.now());
  });

  it('a refused token is not a use, and a store that fails does not fail the exchange', async () => {
    const { f, clock, service, a } = await setup();
    await expect(service.exchange('lxt_' + 'x'.repeat(43))).rejects.toThrow();
    expect(f.count('ownership', 'touchLastUsed')).toBe(0);
    f.rule = (c) => (c.repo === 'ownership' ? { fail: true } : undefined);
    await expect(service.exchange(a.token)).resolves.toMatchObject({ accessToken: 'signed' });
    clock.advance(60_000);
    f.rule = () => undefined;
    await service.exchange(a.token);
    expect((await f.store.ownership.findById(a.tu.id))!.lastUsedAt).toEqual(clock.now());
  });
});
