/**
 * The bench's workspace, people and settings: one workspace (team TBENCH) whose admin asks and
 * whose approver decides, plus the users whose permissions the ack and apply parts change.
 */
import { randomBytes } from 'node:crypto';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789';
export const TEAM = 'TBENCH';
export const ADMIN = 'UBENCHADMIN';
export const APPROVER = 'UBENCHAPPROVER';
export const APPROVALS = 'CBENCHAPPROVALS';
export const NOTIFY = 'CBENCHNOTIFY';
export const WS_ID = '5d1a3c9e-7b2f-4e61-9a0d-3f8c2b7e6a14';

export const ackEmail = (i: number) => `ack-${i}@bench.example`;
export const applyEmail = (i: number) => `apply-${i}@bench.example`;

/** The seed file: the workspace and `users` MEMBER permissions for the ack and apply parts. */
export function benchSeed(o: { ackUsers: number; applyUsers: number }) {
  const user = (email: string) => ({ email, firstName: 'Bench', lastName: 'User', role: 'MEMBER', status: 'ACTIVE' });
  return {
    workspaces: [{
      id: WS_ID, name: 'bench',
      slack: { teamId: TEAM, approvalsChannel: APPROVALS, notificationChannels: [NOTIFY] },
      admins: [ADMIN], approvers: [APPROVER],
      policy: { requiredApprovals: 1, requestTtlHours: 72, expiryWarningDays: [30, 7, 1, 0] },
      users: [
        ...Array.from({ length: o.ackUsers }, (_, i) => user(ackEmail(i))),
        ...Array.from({ length: o.applyUsers }, (_, i) => user(applyEmail(i))),
      ],
    }],
  };
}

/** The environment a bench server starts with, as an operator would set it. */
export function serverEnv(o: { redisUrl: string; slackApiUrl: string; mongodbUri: string; seedFile: string }): Record<string, string> {
  return {
    PORT: '0', ROLE: 'all', MONGODB_URI: o.mongodbUri, REDIS_URL: o.redisUrl, SLACK_API_URL: o.slackApiUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET, KEYWARDEN_SECRET: randomBytes(48).toString('base64'),
    SEED_FILE: o.seedFile, LOG_LEVEL: 'info',
    // The token exchange's rate limits (per client address, per API token) stay in the measured
    // path, but set as high as they go: the bench is one address sending thousands a second.
    TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: '1000000', TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE: '1000000',
  };
}
