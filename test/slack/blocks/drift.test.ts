import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../src/domain/history.js';
import { DRIFT_LINES_PER_MESSAGE, driftDigestBlocks, driftListText, driftNowBlocks, DRIFT_LISTED } from '../../../src/slack/blocks/drift.js';
import type { Workspace } from '../../../src/domain/workspace.js';

const ws = { id: 'w1', name: 'acme', slack: { teamId: 'T1', approvalsChannel: 'C1', notificationChannels: ['C2'] } } as Workspace;
const entry = (label: string, i = 0): HistoryEntry => ({
  id: `drift:${i}:0`, workspaceId: 'w1', subject: { type: 'permission', id: `p${i}`, label }, action: 'permission.changed_outside',
  actor: { type: 'leanix' }, requestId: null, approvers: [], before: { role: 'MEMBER', customerRoles: [] }, after: { role: 'ADMIN', customerRoles: ['*x*'.repeat(400)] },
  at: new Date('2030-01-01T10:00:00Z'),
});

describe('drift blocks', () => {
  it('escapes what came from LeanIX, then clips each section within Slack limits', () => {
    const { blocks } = driftNowBlocks(ws, [entry('<!channel>*boss*@x.de')]);
    const text = JSON.stringify(blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
    for (const b of blocks) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
  });

  it('a digest part stays within 50 blocks and refuses more lines than fit', () => {
    const many = Array.from({ length: DRIFT_LINES_PER_MESSAGE }, (_, i) => entry(`u${i}@x.de`, i));
    const { blocks } = driftDigestBlocks(ws, '2030-01-01', many, 1, 2);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(() => driftDigestBlocks(ws, '2030-01-01', [...many, entry('one.more@x.de', 99)], 1, 1)).toThrow();
  });

  it('a page of /permission drift stays within 40,000 characters', () => {
    const page = Array.from({ length: DRIFT_LISTED }, (_, i) => entry(`u${i}@x.de`, i));
    expect(driftListText(ws, page, 1, true, null).length).toBeLessThan(40_000);
  });
});
