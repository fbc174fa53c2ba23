/**
 * Found by review: a token shown to its owner could later be revoked as "never revealed" (a store
 * error after it was shown, or the revoke sweep racing a reveal near the deadline). The deadline
 * now ends, by compare-and-set, before the token is handed out: the reveal and the sweep have one
 * winner.
 */
import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/domain/errors.js';
import { approve, crashWorld, type CrashWorld } from '../reliability/crash-world.js';
import { ADMIN, WS_ID } from './fixtures.js';

const HOUR = 3600_000;

/** A created technical user whose token waits to be revealed (deadline: 24 h). */
async function waitingToken(w: CrashWorld) {
  const id = await approve(w, {
    kind: 'techuser.create',
    params: { userName: 'reveal-bot', role: 'VIEWER', expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] },
  });
  await w.requests.apply(id);
  return id;
}
const bot = async (w: CrashWorld) => (await w.f.store.technicalUsers.findByName(WS_ID, 'reveal-bot'))!;

describe('revealing a token and the revoke sweep', () => {
  it('a token shown is never revoked, even when tidying up after showing it fails', async () => {
    const w = await crashWorld();
    const id = await waitingToken(w);
    const reveal = await w.technicalUsers.reveal(id, ADMIN);
    w.f.rule = (c) => (c.repo === 'tokenReveals' || c.repo === 'history' || (c.repo === 'technicalUsers' && c.method === 'update') ? { fail: true } : undefined);
    await reveal.done(); // never throws: the token was shown
    w.f.reset();
    w.clock.advance(25 * HOUR);
    expect(await w.technicalUsers.revokeUnrevealed()).toEqual([]);
    expect((await bot(w)).token).toMatchObject({ revokedAt: null, revealBy: null });
    expect(w.notifier.channelNotices).toEqual([]);
  });

  it('a reveal claimed just before the deadline wins over the sweep that runs while it is shown', async () => {
    const w = await crashWorld();
    const id = await waitingToken(w);
    w.clock.advance(24 * HOUR - 1000);
    const reveal = await w.technicalUsers.reveal(id, ADMIN);
    w.clock.advance(2000); // the sweep runs past the deadline while the token is on its way
    expect(await w.technicalUsers.revokeUnrevealed()).toEqual([]);
    await reveal.done();
    expect((await bot(w)).token?.revokedAt).toBeNull();
  });

  it('a token the sweep revoked first is not handed out', async () => {
    const w = await crashWorld();
    const id = await waitingToken(w);
    w.clock.advance(24 * HOUR + 1000);
    expect(await w.technicalUsers.revokeUnrevealed()).toHaveLength(1);
    await expect(w.technicalUsers.reveal(id, ADMIN)).rejects.toMatchObject({ code: Codes.REVEAL_UNAVAILABLE });
  });

  it('a token that could not be shown gets its deadline back, and is revoked if never revealed', async () => {
    const w = await crashWorld();
    const id = await waitingToken(w);
    const deadline = (await bot(w)).token!.revealBy!;
    const reveal = await w.technicalUsers.reveal(id, ADMIN);
    expect((await bot(w)).token!.revealBy).toBeNull();
    await reveal.failed();
    expect((await bot(w)).token!.revealBy).toEqual(deadline);
    w.clock.advance(25 * HOUR);
    expect(await w.technicalUsers.revokeUnrevealed()).toHaveLength(1);
    expect(w.notifier.channelNotices).toHaveLength(1);
  });

  it('a store error before the token is shown leaves it to be revealed later', async () => {
    const w = await crashWorld();
    const id = await waitingToken(w);
    w.f.rule = (c) => (c.repo === 'technicalUsers' && c.method === 'update' ? { fail: true } : undefined);
    await expect(w.technicalUsers.reveal(id, ADMIN)).rejects.toThrow();
    w.f.reset();
    const reveal = await w.technicalUsers.reveal(id, ADMIN);
    expect(reveal.token).toMatch(/^lxt_/);
  });
});
