/** Refusals at the Slack edge that happen before any use case runs (app/refusal.ts has the shape). */
import type { Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 40) : undefined);

/** The user and team a payload claims, read defensively (the payload did not parse). */
export function slackWho(body: unknown): { user?: string; team?: string } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, any>;
  const user = str(b.user?.id) ?? str(b.user_id);
  const team = str(b.team?.id) ?? str(b.user?.team_id) ?? str(b.team_id);
  return { user, team };
}

/** A payload that does not parse: a forged or corrupted button or command. */
export function refuseMalformed(log: Log, body: unknown, what: Record<string, unknown>, issues: unknown[]): void {
  logRefusal(log, { refusal: 'SLACK.MALFORMED_PAYLOAD', who: slackWho(body), what: { ...what, issues: issues.slice(0, 3) } });
}
