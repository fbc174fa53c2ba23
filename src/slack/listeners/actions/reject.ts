/**
 * Reject (on an approval message or in the App Home): asks the approver why, in a form. Whether
 * they may decide at all is checked first, so nobody types a reason only to be refused; the
 * refusal is answered as any other click's. The form's submission decides (views/reject.ts).
 */
import { checkDecision } from '../../../app/rejections.js';
import { rejectForm } from '../../blocks/forms.js';
import type { SlackDeps } from '../../deps.js';
import { RequestButton } from '../../schemas.js';
import { formButtonAction } from './button-action.js';

export function rejectAction(deps: SlackDeps) {
  return formButtonAction(deps, {
    action: 'reject',
    schema: RequestButton,
    malformed: 'That button does not name a request Keywarden knows; nothing was changed.',
    context: (c) => ({ requestId: c.requestId }),
    async open({ userId, teamId, requestId, message }, { triggerId, responseUrl, fromHome }, client) {
      const { request } = await checkDecision(deps, { requestId, actor: userId, teamId, verdict: 'reject' });
      await client.views.open({ trigger_id: triggerId, view: rejectForm(request, { requestId, responseUrl, fromHome, message }) });
    },
  });
}
