/**
 * app_uninstalled and tokens_revoked (installable mode): Keywarden's installation on that Slack
 * workspace (or, org-wide, that organisation) is removed. Its messages waiting in the outbound
 * queues then find no token and are dropped (outbound.ts); its Keywarden workspaces keep their
 * records and answer again once it is reinstalled. Bolt hands these two events over without
 * authorising them (the installation may be gone already); the ids are Bolt's reading of the
 * request, never assumed.
 */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { Log } from '../../../app/ports.js';

export type Uninstall = (q: { teamId: string | null; enterpriseId: string | null; isEnterpriseInstall: boolean; at: Date | null }) => Promise<boolean>;

type Args = SlackEventMiddlewareArgs<'app_uninstalled' | 'tokens_revoked'> & AllMiddlewareArgs;

/** When Slack says it happened (event_time, seconds). */
const Envelope = z.object({ event_time: z.number().int().positive().optional() });
const Revoked = z.object({ event: z.object({ tokens: z.object({ bot: z.array(z.string().max(40)).max(1000).optional() }) }) });

export function uninstalled(uninstall: Uninstall, log: Log, kind: 'app_uninstalled' | 'tokens_revoked') {
  return async ({ body, context }: Args): Promise<void> => {
    if (kind === 'tokens_revoked') {
      const revoked = Revoked.safeParse(body);
      if (!revoked.success) {
        log.warn({ issues: revoked.error.issues.slice(0, 3) }, 'refused a malformed tokens_revoked event');
        return;
      }
      // Only users' tokens revoked (Keywarden holds none): its bot token still works.
      if ((revoked.data.event.tokens.bot ?? []).length === 0) return;
    }
    const sent = Envelope.safeParse(body);
    const at = sent.success && sent.data.event_time !== undefined ? new Date(sent.data.event_time * 1000) : null;
    await uninstall({ teamId: context.teamId ?? null, enterpriseId: context.enterpriseId ?? null, isEnterpriseInstall: context.isEnterpriseInstall === true, at });
  };
}
