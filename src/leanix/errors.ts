/**
 * What can go wrong talking to LeanIX, each with a stable code. Messages name the call (method
 * and path) and what LeanIX said, never a token: the API token is not in any of them, and the
 * Authorization header is never copied into an error.
 */

export const LeanixCodes = {
  /** The API token was refused twice (replaced or deleted in LeanIX): nothing works until it is replaced. */
  UNAUTHORISED: 'LEANIX.UNAUTHORISED',
  /** LeanIX refused the change itself (a 400 with errors in the envelope, e.g. INVITED to ACTIVE). */
  REFUSED: 'LEANIX.REFUSED',
  /** 403: the API token's technical user may not do this (not ADMIN, or another workspace). */
  FORBIDDEN: 'LEANIX.FORBIDDEN',
  NOT_FOUND: 'LEANIX.NOT_FOUND',
  /** 5xx, timeouts and broken connections, after the bounded retries: try again later. */
  UNAVAILABLE: 'LEANIX.UNAVAILABLE',
  /** An answer Keywarden cannot read (not the documented shape). */
  BAD_ANSWER: 'LEANIX.BAD_ANSWER',
} as const;
export type LeanixCode = (typeof LeanixCodes)[keyof typeof LeanixCodes];

export class LeanixError extends Error {
  override name = 'LeanixError';
  constructor(
    readonly code: LeanixCode,
    message: string,
    /** HTTP status LeanIX answered with, when it answered. */
    readonly status: number | null = null,
    /** LeanIX's own lines from the envelope's errors, for a person to read. */
    readonly leanixMessages: string[] = [],
  ) {
    super(message);
  }

  /** Worth trying again later (the job's backoff): an outage, not a refusal. */
  get transient(): boolean {
    return this.code === LeanixCodes.UNAVAILABLE;
  }
}

export const isLeanixError = (e: unknown): e is LeanixError => e instanceof LeanixError;

/** The connection's own words for an unauthorised API token, shared by every caller that reports it. */
export const unauthorisedReason = (workspaceName: string, tokenEnv: string) =>
  `LeanIX refuses Keywarden's API token for ${workspaceName} (it was replaced or deleted in LeanIX): put a new ADMIN technical user's token in ${tokenEnv} and restart.`;
