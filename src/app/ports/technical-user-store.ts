/** Technical users and the sealed tokens waiting for their owners. */
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { GrantQueries } from './grant-store.js';

export interface TechnicalUserRepository extends GrantQueries<TechnicalUser> {
  /** Returns false when the workspace already has a technical user with that userName. */
  insert(t: TechnicalUser): Promise<boolean>;
  findById(id: string): Promise<TechnicalUser | null>;
  findByName(workspaceId: string, userName: string): Promise<TechnicalUser | null>;
  findByTokenHash(hash: string): Promise<TechnicalUser | null>;
  update(
    id: string,
    expectedVersion: number,
    fields: Partial<Pick<TechnicalUser, 'description' | 'role' | 'customerRoles' | 'accessControlEntities' | 'token' | 'lastRequestId' | 'applied' | 'grant'>>,
  ): Promise<TechnicalUser | null>;
  /** Deletes only while the version matches; false when it lost a race or is gone. */
  delete(id: string, expectedVersion: number): Promise<boolean>;
  list(workspaceId: string): Promise<TechnicalUser[]>;
  /** Tokens never revealed by their deadline (`token.revealBy` before `now`, not revoked). */
  listRevealOverdue(now: Date, limit: number): Promise<TechnicalUser[]>;
  /**
   * Tokens whose next expiry warning is due (`token.nextWarningAt` at or before `now`, not
   * revoked), earliest first. Read through an index: the cost follows the due tokens, not all.
   * Of the workspaces `workspaceIds` only, when given (the active ones).
   */
  listWarningsDue(now: Date, limit: number, workspaceIds?: readonly string[]): Promise<TechnicalUser[]>;
  /** A workspace's technical users that have a token, the soonest expiry first (expired ones before all). */
  listByExpiry(workspaceId: string, limit: number): Promise<TechnicalUser[]>;
  /**
   * For each bound, how many live tokens (not revoked), across all workspaces, expire before it:
   * the metrics gauge's query, one indexed count per bound.
   */
  countTokensExpiringBefore(bounds: Date[]): Promise<number[]>;
}

/** A new token waiting for its owner: sealed (JWE), never plaintext. Its id is the request id. */
export interface TokenReveal {
  id: string;
  workspaceId: string;
  technicalUserId: string;
  /** Slack user id of the only person who may reveal it. */
  recipient: string;
  sealed: string;
  /** The store deletes the record after this (TTL index). */
  expiresAt: Date;
  /** Set while a reveal is being delivered, so two clicks cannot both get the token. */
  claimedAt: Date | null;
}

export interface TokenRevealRepository {
  /** Insert-if-absent by id; returns the stored record (the earlier one when it already existed). */
  put(r: TokenReveal): Promise<TokenReveal>;
  findById(id: string): Promise<TokenReveal | null>;
  /** Atomically claims an unclaimed, unexpired reveal for its recipient; null for everyone else. */
  claim(id: string, recipient: string, now: Date): Promise<TokenReveal | null>;
  /** Undoes a claim whose delivery failed, so the owner can click again. */
  release(id: string): Promise<void>;
  delete(id: string): Promise<void>;
}

