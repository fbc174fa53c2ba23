import { describe, expect, it } from 'vitest';
import { differences, recordDrift } from '../../src/leanix/drift-record.js';
import { createMemoryStore } from '../../src/store/index.js';

describe('recordDrift', () => {
  it('writes one permission.changed_outside line per subject, difference and basis, with LeanIX as actor', async () => {
    const store = createMemoryStore();
    await store.init();
    const d = {
      workspaceId: 'ws-1', subject: { type: 'permission' as const, id: 'p-1', label: 'ann@acme.test' },
      expected: { role: 'VIEWER' }, found: { role: 'MEMBER' }, requestId: 'r-1', basis: 'r-1', at: new Date('2026-12-07T10:00:00Z'),
    };
    const a = await recordDrift(store.history, d);
    await recordDrift(store.history, { ...d, at: new Date('2026-12-07T10:05:00Z') });
    await recordDrift(store.history, { ...d, basis: 'r-2', requestId: 'r-2' });
    const lines = await store.history.listBySubject('permission', 'p-1', 10);
    expect(lines).toHaveLength(2);
    expect(a).toMatchObject({ action: 'permission.changed_outside', actor: { type: 'leanix' }, before: { role: 'VIEWER' }, after: { role: 'MEMBER' } });
  });

  it('differences keeps only the fields that differ, each side', () => {
    expect(differences({ role: 'VIEWER', status: 'ACTIVE' }, { role: 'MEMBER', status: 'ACTIVE' })).toEqual({ expected: { role: 'VIEWER' }, found: { role: 'MEMBER' } });
    expect(differences({ role: 'VIEWER' }, { role: 'VIEWER' })).toBeNull();
  });
});
