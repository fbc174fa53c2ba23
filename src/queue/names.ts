/** Queue names and the key prefix, in one place so producers and workers agree. */
export const QUEUE_PREFIX = 'keywarden';
export const APPLY_QUEUE = 'apply';
export const MAINTENANCE_QUEUE = 'maintenance';
export const GRANT_QUEUE = 'grants';
export const END_GRANTS_JOB = 'end-grants';
export const SWEEP_APPROVED_JOB = 'sweep-approved';
export const POST_UNPOSTED_JOB = 'post-unposted';
export const REMIND_APPROVERS_JOB = 'remind-approvers';
export const REVOKE_UNREVEALED_JOB = 'revoke-unrevealed';
export const EXPIRE_REQUESTS_JOB = 'expire-requests';
export const SCAN_EXPIRY_JOB = 'scan-expiry';
/** The outbound Slack lanes, one queue per Web API method (src/slack/outbound/). */
export const OUTBOUND_QUEUES = { 'chat.postMessage': 'outbound-post', 'chat.update': 'outbound-update', 'views.publish': 'outbound-views', 'functions.complete': 'outbound-steps' } as const;
export const REVIEW_OWNERS_JOB = 'review-owners';
export const ESCALATE_REQUESTS_JOB = 'escalate-requests';
export const REMIND_BREAK_GLASS_JOB = 'remind-break-glass';
/** Webhook deliveries, one job per hook at a time (jobs/webhooks.ts). */
export const WEBHOOK_QUEUE = 'webhooks';
/** The LeanIX mirror sync (src/leanix/sync.ts): one queue, one repeatable tick, one job at a time per worker. */
export const LEANIX_SYNC_QUEUE = 'leanix-sync';
export const LEANIX_SYNC_JOB = 'leanix-sync';
export const ACCESS_REVIEWS_JOB = 'access-reviews';
