/**
 * Webhooks: where a workspace's events are pushed and how each POST is signed. Which addresses
 * Keywarden may send them to is app/webhook-addresses.ts.
 */
import { createHash, createHmac } from 'node:crypto';

export const WEBHOOK_EVENTS = ['history', 'request'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/** A webhook as the seed file gives it. `secretEnv` names the environment variable holding its secret. */
export interface WebhookConfig {
  url: string;
  secretEnv: string;
  events: WebhookEventType[];
  allowPrivate?: boolean;
}

/** Webhook secrets come from variables of this form only: a seed file cannot ask for KEYWARDEN_SECRET. */
export const WEBHOOK_SECRET_ENV = /^KEYWARDEN_WEBHOOK_[A-Z0-9_]{1,64}$/;

/** A hook's stable name: its workspace and URL, so reordering the seed keeps each hook's place. */
export const hookKey = (workspaceId: string, url: string): string =>
  `${workspaceId}:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;

/** `X-Keywarden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

