/** `/permission review …`: start, status, stop of the workspace's access reviews. */
import type { Workspace } from '../../../domain/workspace.js';
import { isAdmin, isApprover } from '../../../domain/workspace.js';
import { Codes, DomainError } from '../../../domain/errors.js';
import { slackDay, statusText } from '../../blocks/access-reviews.js';
import type { SlackDeps } from '../../deps.js';
import type { ReviewCommand } from '../../grammar/review-command.js';

export async function reviewCommand(deps: SlackDeps, ws: Workspace, c: ReviewCommand, user: string): Promise<string> {
  switch (c.step) {
    case 'start': {
      const started = await deps.accessReviews.start(ws, c.name, user);
      return `Access review ${started.name} started: ${started.itemCount} items, due ${slackDay(started.dueAt)}; each reviewer has been sent their items.`;
    }
    case 'stop': {
      const stopped = await deps.accessReviewClosing.stop(ws, c.name, user);
      return `Access review ${stopped.name} stopped; its undecided items are left unreviewed.`;
    }
    case 'status':
      if (!isAdmin(ws, user) && !isApprover(ws, user)) throw new DomainError(Codes.NOT_ADMIN, `Only admins and approvers of ${ws.name} can see its access reviews.`);
      return statusText(ws, await deps.accessReviews.status(ws, c.name));
  }
}
