/**
 * Dates as Slack shows them: `<!date^…>` tokens, which each reader's client renders in their own
 * time zone, with the UTC text as the fallback for clients that cannot.
 */

/** A moment as "Dec 4th, 2026 14:00" in the reader's time zone. */
export const slackTime = (d: Date) => `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${d.toISOString()}>`;

/** The shape our own plain-text outcomes give a moment in ("2026-12-04 14:00 UTC", grant-requests.ts). */
const UTC_MINUTE = /\b(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC\b/g;

/**
 * A stored outcome (already escaped for mrkdwn) with each of its UTC moments as a Slack date, so
 * "until 2026-12-04 14:00 UTC" reads in the reader's own zone. Nothing a person types can take
 * this shape (emails and usernames hold no spaces), so only our own dates are turned.
 */
export function utcDatesAsSlack(mrkdwn: string): string {
  return mrkdwn.replace(UTC_MINUTE, (whole, day: string, time: string) => {
    const d = new Date(`${day}T${time}:00Z`);
    return Number.isNaN(d.getTime()) ? whole : `<!date^${Math.floor(d.getTime() / 1000)}^{date_short_pretty} {time}|${whole}>`;
  });
}
