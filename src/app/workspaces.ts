import { Codes, DomainError } from '../domain/errors.js';
import type { Workspace } from '../domain/workspace.js';
import type { WorkspaceRepository } from './ports.js';

/**
 * Which workspace a command is about: the one named with `workspace:<name>`, else the one
 * configured for the Slack team, else the only one there is.
 */
export async function resolveWorkspace(
  repo: WorkspaceRepository,
  teamId: string,
  name?: string,
): Promise<Workspace> {
  if (name) {
    const ws = await repo.findByName(name);
    // A workspace of another Slack team is treated as unknown: its name is not ours to confirm.
    if (!ws || ws.slack.teamId !== teamId) {
      throw new DomainError(Codes.WORKSPACE_NOT_FOUND, `There is no workspace named "${name}" for this Slack team.`);
    }
    return ws;
  }
  const all = await repo.list();
  const ours = all.filter((w) => w.slack.teamId === teamId);
  if (ours.length === 1) return ours[0]!;
  if (ours.length > 1) {
    throw new DomainError(
      Codes.WORKSPACE_AMBIGUOUS,
      `This Slack team has several workspaces (${ours.map((w) => w.name).join(', ')}); add workspace:<name>.`,
    );
  }
  throw new DomainError(Codes.WORKSPACE_NOT_FOUND, 'No workspace is configured for this Slack team.');
}
