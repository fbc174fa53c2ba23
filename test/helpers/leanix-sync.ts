/** For tests of the LeanIX mirror: waiting for the sync the worker runs on its own tick. */
import { expect, vi } from 'vitest';
import type { RedisSyncState } from '../../src/leanix/sync-state.js';
import type { TestClock } from './clock.js';

/** Moves the clock past syncSeconds and waits for the next finished sync of `workspaceId`. */
export async function nextSync(state: RedisSyncState, clock: TestClock, workspaceId: string): Promise<void> {
  const before = (await state.lastSynced(workspaceId))?.getTime() ?? 0;
  clock.advance(31_000);
  await vi.waitFor(async () => expect((await state.lastSynced(workspaceId))?.getTime() ?? 0).toBeGreaterThan(before), { timeout: 10_000, interval: 20 });
}
