import type { ChangeRequest } from '../../../domain/request.js';
import type { Workspace } from '../../../domain/workspace.js';
import { describeRequest, shortId } from '../../blocks/request.js';

/** What the admin reads after asking for a change. */
export const submitText = (ws: Workspace, r: ChangeRequest): string =>
  `Request ${shortId(r.id)} (${describeRequest(r)}) was sent to <#${ws.slack.approvalsChannel}> for approval. You will get a DM when it is decided.`;
