/**
 * What a technical user's API token is for: exchanging it for a short-lived access token, and
 * telling who is calling with one. An access token is only as good as the API token behind it:
 * every call re-reads the technical user, so a replaced, deleted, revoked or expired API token
 * stops its access tokens at once, and a changed role applies at once; so does retiring the
 * workspace (taking it out of the seed file).
 */
import { randomUUID } from 'node:crypto';
import { hashApiToken, isApiTokenFormat } from '../domain/api-token.js';
import { Codes, DomainError } from '../domain/errors.js';
import type { Role } from '../domain/permission.js';
import { tokenIsUsable, type TechnicalUser } from '../domain/technical-user.js';
import type { LastUsedRecorder } from './last-used.js';
import type { AccessTokenSigner, Clock, Log, PublicJwk, Store } from './ports.js';

export const ACCESS_TOKEN_LIFETIME_SECONDS = 3600;

/** Who is calling: the technical user behind a valid access token, as it is now. */
export interface Principal {
  technicalUserId: string;
  userName: string;
  workspaceId: string;
  role: Role;
}

export interface IssuedAccessToken {
  accessToken: string;
  /** Seconds; one less than the token's lifetime, so a client's countdown never outlives `exp`. */
  expiresIn: number;
}

/** The part of the API token's hash an access token carries: enough to tell a replaced token. */
export const tokenHashPrefix = (hash: string): string => hash.slice(0, 16);

// One message for every refusal: a caller learns nothing about which check failed.
const invalidApiToken = () => new DomainError(Codes.API_TOKEN_INVALID, 'The API token is not valid.');
const invalidAccessToken = () =>
  new DomainError(Codes.ACCESS_TOKEN_INVALID, 'The access token is not valid or has expired; request a new one.');

export class AccessTokenService {
  constructor(
    private readonly deps: {
      store: Store; signer: AccessTokenSigner; clock: Clock; log: Log;
      /** Notes each exchange for the owner's review ("last used"); at most a write a minute per technical user. */
      lastUsed?: Pick<LastUsedRecorder, 'used'>;
    },
  ) {}

  /** The client-credentials grant: an API token in, a signed access token out. */
  async exchange(apiToken: string): Promise<IssuedAccessToken> {
    const { store, signer, clock, log } = this.deps;
    const now = clock.now();
    // Looked up by hash only: the plaintext is never compared with anything stored.
    const tu = isApiTokenFormat(apiToken) ? await store.technicalUsers.findByTokenHash(hashApiToken(apiToken)) : null;
    const hash = tu?.token?.hash;
    if (!tu?.token || !hash || !tokenIsUsable(tu, now)) {
      log.info({ technicalUserId: tu?.id ?? null, reason: refusal(tu, now) }, 'API token refused');
      throw invalidApiToken();
    }
    // A workspace gone from the seed file (retired) answers nothing, over the API neither.
    if (!(await store.workspaces.findById(tu.workspaceId))) {
      log.info({ technicalUserId: tu.id, reason: 'workspace retired' }, 'API token refused');
      throw invalidApiToken();
    }
    const iat = Math.floor(now.getTime() / 1000);
    const accessToken = await signer.sign({
      sub: tu.id, name: tu.userName, workspaceId: tu.workspaceId, role: tu.role, tkh: tokenHashPrefix(hash),
      jti: randomUUID(), iat, exp: iat + ACCESS_TOKEN_LIFETIME_SECONDS,
    });
    log.info({ technicalUserId: tu.id, workspaceId: tu.workspaceId }, 'access token issued');
    await this.deps.lastUsed?.used(tu.id, now);
    return { accessToken, expiresIn: ACCESS_TOKEN_LIFETIME_SECONDS - 1 };
  }

  /** The caller behind an access token, or ACCESS_TOKEN_INVALID. */
  async authenticate(accessToken: string): Promise<Principal> {
    const { store, signer, clock } = this.deps;
    const now = clock.now();
    const claims = await signer.verify(accessToken, now);
    if (!claims) throw invalidAccessToken();
    // Read side by side: the workspace named in the claims must still be active (not retired).
    const [tu, ws] = await Promise.all([store.technicalUsers.findById(claims.sub), store.workspaces.findById(claims.workspaceId)]);
    if (
      !tu?.token?.hash || !tokenIsUsable(tu, now) || tokenHashPrefix(tu.token.hash) !== claims.tkh ||
      tu.workspaceId !== claims.workspaceId || !ws
    ) {
      throw invalidAccessToken();
    }
    return { technicalUserId: tu.id, userName: tu.userName, workspaceId: tu.workspaceId, role: tu.role };
  }

  /** The public keys that verify access tokens still in circulation. */
  publicKeys(): Promise<PublicJwk[]> {
    return this.deps.signer.publicKeys();
  }
}

/** Every role reads its own workspace. */
export function assertMayRead(p: Principal, workspaceId: string): void {
  if (p.workspaceId !== workspaceId) {
    throw new DomainError(Codes.OTHER_WORKSPACE, "This token is not valid for that workspace; use a token of the workspace's own technical user.");
  }
}

/** A technical user's role bounds what its token may do: VIEWER and MEMBER read, ADMIN changes. */
export function assertMayChange(p: Principal): void {
  if (p.role !== 'ADMIN') {
    throw new DomainError(Codes.ROLE_TOO_LOW, `Technical user ${p.userName} is ${p.role}; only ADMIN technical users may change permissions.`);
  }
}

/** Why a token was refused, for the log only (the caller is never told). */
function refusal(tu: TechnicalUser | null, now: Date): string {
  if (!tu?.token) return 'unknown';
  if (tu.token.revokedAt) return 'revoked';
  return tu.token.expiresAt <= now ? 'expired' : 'unknown';
}
