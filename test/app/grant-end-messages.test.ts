/**
 * The end of a grant tells two places, each claimed on its own (finding 6 of the second review):
 * a DM that fails in passing is sent again by the next run without repeating the thread line, a
 * place Slack refuses for good is recorded and left, and End now reports the end it made.
 */
import { describe, expect, it } from 'vitest';
import { MessageRefusedError } from '../../src/app/ports.js';
import { ACTIVE, ADMIN, WS_ID } from './fixtures.js';
import { crashWorld } from '../reliability/crash-world.js';
import { granted, HOUR } from '../reliability/grant-world.js';

async function subjectOf(w: Awaited<ReturnType<typeof crashWorld>>) {
  return (await w.grants.subjects.find('permission', WS_ID, ACTIVE))!;
}

describe('the messages of a grant\'s end', () => {
  it('a DM failing in passing is sent by the next run; the thread line is not repeated', async () => {
    const w = await crashWorld();
    const id = await granted(w, 60);
    const s = await subjectOf(w);
    w.clock.advance(HOUR);
    w.notifier.failGrantEnded = 1;
    await expect(w.grants.end(s, id, { how: 'expired' })).rejects.toThrow(/slack down/);
    expect(w.notifier.grantEndThreads).toEqual([id]);
    expect(w.notifier.grantEnds).toEqual([]);
    expect(await w.grants.end(s, id, { how: 'expired' })).toBe('already-ended');
    expect(await w.grants.end(s, id, { how: 'expired' })).toBe('already-ended');
    expect(w.notifier.grantEnds.map((e) => e.id)).toEqual([id]);
    expect(w.notifier.grantEndThreads).toEqual([id]);
  });

  it('End now says the grant ended when the DM is refused for good, records it, and never sends it again', async () => {
    const w = await crashWorld();
    const id = await granted(w, 60);
    const s = await subjectOf(w);
    const original = w.notifier.grantEnded.bind(w.notifier);
    let refused = 0;
    w.notifier.grantEnded = async (r, ws, end, to, where) => {
      if (where === 'requester') {
        refused++;
        throw new MessageRefusedError('chat.postMessage: cannot_dm_bot');
      }
      return original(r, ws, end, to, where);
    };
    expect(await w.grants.endNow(id, ADMIN)).toMatchObject({ label: ACTIVE, revertTo: 'MEMBER' });
    expect((await w.f.store.requests.findById(id))!.undelivered).toEqual([expect.objectContaining({ message: 'requester-dm', error: expect.stringContaining('cannot_dm_bot') })]);
    // The timer fires at the grant's old end: the end is made, nothing is sent again.
    w.clock.advance(HOUR);
    expect(await w.grants.expire(s, id)).toBe('not-active');
    expect(refused).toBe(1);
    expect(w.notifier.grantEndThreads).toEqual([id]);
  });
});
