/**
 * The one reader of process.env. Every setting of DESIGN.md is parsed here, once, with zod; a
 * missing or malformed one stops the process at start with one line that names it.
 */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { secretWeakness } from './crypto/secret-strength.js';

const int = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

/**
 * ACCESS_TOKEN_PRIVATE_KEY: a P-256 private key as PKCS#8 PEM. One-line forms are accepted too,
 * with `\n` for the line breaks, since not every place an environment is set keeps newlines.
 */
const signingKeyPem = z
  .string()
  .transform((s) => s.replace(/\\n/g, '\n').trim())
  .refine((pem) => {
    if (!pem.startsWith('-----BEGIN PRIVATE KEY-----')) return false;
    try {
      const key = createPrivateKey({ key: pem, format: 'pem' });
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    } catch {
      return false;
    }
  }, 'must be a P-256 (ES256) private key in PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)');

const Env = z
  .object({
    PORT: int(3000, 0, 65535),
    // One Slack workspace: its bot token. Or installable (issue 23): the three OAuth settings below instead.
    SLACK_BOT_TOKEN: z.string().regex(/^xox[bp]-\S+$/, 'must be a bot token starting with xoxb-').optional(),
    SLACK_CLIENT_ID: z.string().regex(/^\d+\.\d+$/, 'must be the Client ID from the Slack app page (digits.digits)').optional(),
    SLACK_CLIENT_SECRET: z.string().regex(/^[0-9a-f]{16,128}$/i, 'must be the Client Secret from the Slack app page').optional(),
    // Signs the OAuth flow's state (@slack/oauth's ClearStateStore); as hard to guess as KEYWARDEN_SECRET.
    SLACK_STATE_SECRET: z.string().superRefine((s, ctx) => {
      const weakness = secretWeakness(s);
      if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
    }).optional(),
    SLACK_SIGNING_SECRET: z.string().min(8, 'must be the signing secret from the Slack app page').optional(),
    SLACK_APP_TOKEN: z.string().regex(/^xapp-\S+$/, 'must be an app-level token starting with xapp-').optional(),
    SLACK_API_URL: z.url().default('https://slack.com/api/'),
    MONGODB_URI: z
      .string()
      .refine((s) => s === 'memory' || /^mongodb(\+srv)?:\/\//.test(s), 'must be a mongodb:// URI or the word memory')
      .default('mongodb://127.0.0.1:27017/keywarden'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    // Refused when short or guessable (crypto/secret-strength.ts), with the way to make a good one.
    KEYWARDEN_SECRET: z.string().superRefine((s, ctx) => {
      const weakness = secretWeakness(s);
      if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
    }),
    ACCESS_TOKEN_PRIVATE_KEY: signingKeyPem.optional(),
    SEED_FILE: z.string().min(1).optional(),
    EXPIRY_SCAN_INTERVAL_SECONDS: int(3600, 10, 7 * 24 * 3600),
    TOKEN_REVEAL_TTL_HOURS: int(24, 1, 24 * 30),
    // Token exchanges allowed per minute, counted in Redis across web processes.
    TOKEN_EXCHANGE_PER_ADDRESS_PER_MINUTE: int(120, 1, 1_000_000),
    TOKEN_EXCHANGE_PER_TOKEN_PER_MINUTE: int(20, 1, 1_000_000),
    // Reverse proxies in front of the web processes whose X-Forwarded-For is believed (http/client-address.ts).
    TRUSTED_PROXIES: int(0, 0, 10),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // json: one JSON object per line (production); pretty: pino-pretty for a developer's terminal.
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
    // Bull Board at /admin/queues, behind HTTP Basic auth; off unless both are set.
    BULL_BOARD_USERNAME: z.string().regex(/^[^:\s]{1,64}$/, 'must be 1-64 characters without spaces or colons').optional(),
    BULL_BOARD_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(256).optional(),
    // /metrics answers only `Authorization: Bearer <token>` when set (http/operations.ts).
    METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,256}$/, 'must be 16-256 visible characters without spaces (openssl rand -hex 32)').optional(),
    ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  })
  // The installable mode takes all three OAuth settings; one or two of them is a mistake, not a choice.
  .superRefine((e, ctx) => {
    const oauth = (['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const).filter((k) => e[k] === undefined);
    if (oauth.length > 0 && oauth.length < 3) {
      ctx.addIssue({ code: 'custom', path: [oauth[0]!], message: 'is required with the other OAuth settings (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET go together)' });
    } else if (oauth.length === 0 && e.SLACK_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'must not be set with SLACK_CLIENT_ID (installable mode takes each Slack workspace\'s token from its installation)' });
    } else if (oauth.length === 3 && !e.SLACK_BOT_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_BOT_TOKEN'], message: 'is required (or SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET for the installable mode)' });
    }
  })
  .refine((e) => e.SLACK_APP_TOKEN || e.SLACK_SIGNING_SECRET, {
    path: ['SLACK_SIGNING_SECRET'],
    message: 'is required unless SLACK_APP_TOKEN selects Socket Mode',
  })
  // Bull Board is on only with both; one without the other is a mistake, not a choice.
  .refine((e) => !e.BULL_BOARD_USERNAME || e.BULL_BOARD_PASSWORD, {
    path: ['BULL_BOARD_PASSWORD'],
    message: 'is required when BULL_BOARD_USERNAME is set (set neither to turn Bull Board off)',
  })
  .refine((e) => !e.BULL_BOARD_PASSWORD || e.BULL_BOARD_USERNAME, {
    path: ['BULL_BOARD_USERNAME'],
    message: 'is required when BULL_BOARD_PASSWORD is set (set neither to turn Bull Board off)',
  })
  .refine((e) => e.MONGODB_URI !== 'memory' || e.ROLE === 'all', {
    path: ['ROLE'],
    message: 'must be all when MONGODB_URI=memory (the in-memory store is not shared between processes)',
  });

export type Config = z.infer<typeof Env> & {
  /**
   * A secret the seed file names by its variable (a webhook's secretEnv), read from the same
   * environment as every other setting; a missing or empty one is a ConfigError naming it.
   */
  secretFromEnv(name: string, why: string): string;
  /**
   * Another variable of the same environment, by name: the seed names the variables that hold
   * secrets it must not contain (a connected workspace's `leanix.apiTokenEnv`). Blank is unset.
   * A function, so the values are not in the object's fields (nor in any dump of the config).
   */
  readonly variable: (name: string) => string | undefined;
};

/** Every setting's name: what deployment files may set (test/deploy checks them against this). */
export const SETTINGS = Object.keys(Env.shape) as ReadonlyArray<keyof Config>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws a ConfigError whose message is one line naming the setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty (or blank) values in .env files mean "not set", not "set to nothing".
  const cleaned = Object.fromEntries(
    Object.entries(env).flatMap(([k, v]) => (v === undefined || v.trim() === '' ? [] : [[k, v.trim()]])),
  );
  const parsed = Env.safeParse(cleaned);
  if (parsed.success) {
    // One reader of the other variables the seed names; secretFromEnv is it, for a required one.
    const variable = (name: string): string | undefined => cleaned[name];
    const secretFromEnv = (name: string, why: string): string => {
      const v = variable(name);
      if (!v) throw new ConfigError(`Invalid configuration: ${name} is required (${why})`);
      return v;
    };
    // Not enumerable: a logged, compared or spread config never carries the environment with it.
    return Object.defineProperties({ ...parsed.data }, {
      secretFromEnv: { value: secretFromEnv, enumerable: false },
      variable: { value: variable, enumerable: false },
    }) as Config;
  }
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? 'environment');
  const why = issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message;
  throw new ConfigError(`Invalid configuration: ${name} ${why}`);
}
