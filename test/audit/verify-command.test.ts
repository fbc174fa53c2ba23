import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/app/ports.js';
import { verifyCommand } from '../../src/audit/verify-command.js';
import type { ChainedEntry } from '../../src/domain/history-chain.js';
import { createMemoryStore } from '../../src/store/index.js';
import { historyEntry, workspace } from '../store/contract.js';

async function storeWith(lines: number): Promise<{ store: Store; chain: ChainedEntry[] }> {
  const store = createMemoryStore();
  await store.workspaces.upsert(workspace({ id: 'ws-1', name: 'meshlab' }));
  for (let i = 1; i <= lines; i++) await store.history.append(historyEntry({ id: `e${i}`, action: `a${i}` }));
  // The memory store's own array: what someone with write access to the store would tamper with.
  const chain = (store.history as unknown as { byWorkspace: Map<string, ChainedEntry[]> }).byWorkspace.get('ws-1')!;
  return { store, chain };
}

async function run(store: Store, ...argv: string[]) {
  const out: string[] = [];
  const status = await verifyCommand(store, argv, (l) => out.push(l));
  return { status, out: out.join('\n') };
}

describe('npm run audit:verify', () => {
  it('says a whole chain is whole (by workspace name or id), with the head to keep', async () => {
    const { store, chain } = await storeWith(4);
    const r = await run(store, 'meshlab');
    expect(r.status).toBe(0);
    expect(r.out).toContain('The history of meshlab (ws-1) is whole: 4 lines');
    expect(r.out).toContain(`head: line 4, hash ${chain[3]!.hash}`);
    expect((await run(store, 'ws-1', '--anchor', `2:${chain[1]!.hash}`)).status).toBe(0);
    expect(JSON.parse((await run(store, 'ws-1', '--json')).out)).toMatchObject({ whole: true, lines: 4 });
  });

  it('names an edited, a removed and a reordered line, and fails', async () => {
    const edited = await storeWith(4);
    edited.chain[1]!.approvers.push('U-forger');
    const e = await run(edited.store, 'meshlab');
    expect(e.status).toBe(1);
    expect(e.out).toMatch(/NOT whole[\s\S]*changed +line 2 \(e2\) was changed after it was written/);

    const removed = await storeWith(4);
    removed.chain.splice(2, 1);
    expect((await run(removed.store, 'meshlab')).out).toMatch(/removed +line 3 is missing \(removed\) before line 4 \(e4\)/);

    const reordered = await storeWith(4);
    const [second, third] = [reordered.chain[1]!, reordered.chain[2]!];
    [second.seq, third.seq] = [3, 2];
    reordered.chain.splice(1, 2, third, second);
    const r = await run(reordered.store, 'meshlab');
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/reordered +line 2 \(e3\) was written after line 3, not after line 1/);
  });

  it('notices lines cut off the end against an anchor', async () => {
    const { store, chain } = await storeWith(4);
    const anchor = `4:${chain[3]!.hash}`;
    chain.pop();
    const r = await run(store, 'meshlab', '--anchor', anchor);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/the chain ends at line 3, but line 4 was seen before/);
  });

  it('answers bad arguments and unknown workspaces with status 2 and the usage', async () => {
    const { store } = await storeWith(1);
    expect(await run(store)).toEqual({ status: 2, out: expect.stringContaining('usage: npm run audit:verify') });
    expect((await run(store, 'meshlab', '--anchor', 'x')).status).toBe(2);
    expect((await run(store, 'meshlab', '--frobnicate')).status).toBe(2);
    expect(await run(store, 'nowhere')).toEqual({ status: 2, out: 'There is no workspace with the id or name "nowhere".' });
  });

  it('verifies a retired workspace too, by id or name (issue 20, finding 14)', async () => {
    const { store, chain } = await storeWith(3);
    await store.workspaces.retire('ws-1', new Date('2026-12-01T00:00:00Z'));
    expect(await store.workspaces.findById('ws-1')).toBeNull();
    for (const name of ['ws-1', 'meshlab']) {
      const r = await run(store, name);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain('The history of meshlab, retired 2026-12-01 (ws-1) is whole: 3 lines');
    }
    chain[1]!.approvers.push('U-forger');
    expect((await run(store, 'meshlab')).status).toBe(1);
  });
});
