import { describe, expect, it } from 'vitest';
import { resolveWorkspace } from '../../src/app/workspaces.js';
import { Codes } from '../../src/domain/errors.js';
import { DEFAULT_POLICY, type Workspace } from '../../src/domain/workspace.js';
import { createMemoryStore } from '../../src/store/memory/memory-store.js';

const ws = (id: string, name: string, teamId: string): Workspace => ({
  id, name, slack: { teamId, approvalsChannel: 'C1', notificationChannels: [] }, admins: [], approvers: [], policy: DEFAULT_POLICY,
});

async function repo(...all: Workspace[]) {
  const store = createMemoryStore();
  for (const w of all) await store.workspaces.upsert(w);
  return store.workspaces;
}

describe('resolveWorkspace', () => {
  it('picks the named workspace of the Slack team', async () => {
    const r = await repo(ws('1', 'meshlab', 'T1'), ws('2', 'strict', 'T1'));
    expect((await resolveWorkspace(r, 'T1', 'strict')).id).toBe('2');
  });

  it("treats another team's workspace as unknown, without confirming its name", async () => {
    const r = await repo(ws('1', 'meshlab', 'T1'), ws('2', 'secret', 'T2'));
    const other = await resolveWorkspace(r, 'T1', 'secret').catch((e: unknown) => e);
    const missing = await resolveWorkspace(r, 'T1', 'nothing').catch((e: unknown) => e);
    expect(other).toMatchObject({ code: Codes.WORKSPACE_NOT_FOUND });
    expect((other as Error).message).toBe((missing as Error).message.replace('nothing', 'secret'));
  });

  it("without a name, uses the team's only workspace", async () => {
    const r = await repo(ws('1', 'meshlab', 'T1'), ws('2', 'strict', 'T2'));
    expect((await resolveWorkspace(r, 'T2')).name).toBe('strict');
  });

  it('without a name, asks for one when the team has several, naming them', async () => {
    const r = await repo(ws('1', 'meshlab', 'T1'), ws('2', 'strict', 'T1'));
    await expect(resolveWorkspace(r, 'T1')).rejects.toMatchObject({
      code: Codes.WORKSPACE_AMBIGUOUS, message: expect.stringContaining('meshlab, strict'),
    });
  });

  it('says so when the team has none', async () => {
    await expect(resolveWorkspace(await repo(ws('1', 'meshlab', 'T1')), 'T9')).rejects.toMatchObject({ code: Codes.WORKSPACE_NOT_FOUND });
    await expect(resolveWorkspace(await repo(), 'T1')).rejects.toMatchObject({ code: Codes.WORKSPACE_NOT_FOUND });
  });

  it('matches names exactly', async () => {
    const r = await repo(ws('1', 'meshlab', 'T1'));
    await expect(resolveWorkspace(r, 'T1', 'MeshLab')).rejects.toMatchObject({ code: Codes.WORKSPACE_NOT_FOUND });
  });
});
