/**
 * The ports the use cases need. Adapters live at the edges: store/ (MongoDB, memory),
 * slack/ (Notifier), queue/ (ApplyQueue). Keep each interface small and about one thing.
 */
import type { HistoryEntry, SubjectType } from '../domain/history.js';
import type { Permission, PermissionStatus, Role } from '../domain/permission.js';
import type { ChangeRequest, RequestStatus, UndeliveredMessage } from '../domain/request.js';
import type { TechnicalUser } from '../domain/technical-user.js';
import type { User } from '../domain/user.js';
import type { Workspace } from '../domain/workspace.js';

export interface WorkspaceRepository {
  /** Insert or replace by id. A name already used by another workspace is refused (unique). */
  upsert(ws: Workspace): Promise<void>;
  findById(id: string): Promise<Workspace | null>;
  findByName(name: string): Promise<Workspace | null>;
  list(): Promise<Workspace[]>;
}

export interface UserRepository {
  /** Case-insensitive. */
  findByEmail(email: string): Promise<User | null>;
  findByIds(ids: string[]): Promise<User[]>;
  /** Inserts the user unless one with the same email (case-insensitive) exists; returns the stored one. */
  ensure(user: User): Promise<User>;
}

export type PermissionFields = Partial<Pick<Permission, 'role' | 'status' | 'lastChange'>>;

export interface PermissionRepository {
  findById(id: string): Promise<Permission | null>;
  find(workspaceId: string, userId: string): Promise<Permission | null>;
  /** Returns false, changing nothing, when (userId, workspaceId) already has a permission. */
  insert(p: Permission): Promise<boolean>;
  /**
   * Compare-and-set: sets `fields` and bumps the version only while the stored version is still
   * `expectedVersion`. Returns the updated permission, or null when it lost a race (or is gone).
   */
  update(id: string, expectedVersion: number, fields: PermissionFields): Promise<Permission | null>;
  list(workspaceId: string, filter?: { status?: PermissionStatus; userId?: string }): Promise<Permission[]>;
}

export type RequestFields = Partial<
  Pick<ChangeRequest, 'status' | 'approvals' | 'decidedBy' | 'decidedAt' | 'outcome' | 'appliedAt' | 'remindAt'>
>;

export interface RequestRepository {
  insert(r: ChangeRequest): Promise<void>;
  findById(id: string): Promise<ChangeRequest | null>;
  /**
   * Compare-and-set on (status, version): the only way a request's state moves. Returns the
   * updated request, or null when another actor got there first.
   */
  update(
    id: string,
    expected: { status: RequestStatus; version: number },
    fields: RequestFields,
  ): Promise<ChangeRequest | null>;
  /** Where the approval message is: metadata, not state (no version bump). */
  setSlackRef(id: string, ref: { channel: string; ts: string }): Promise<void>;
  /**
   * Claims the right to tell the requester the outcome: true for exactly one caller (sets
   * notifiedAt while it is null). A caller whose message then fails releases the claim.
   */
  claimNotified(id: string, at: Date): Promise<boolean>;
  releaseNotified(id: string): Promise<void>;
  /**
   * Records a message that could not be posted (metadata: no version bump). Keeps the latest
   * UNDELIVERED_KEPT notes; unknown ids are ignored.
   */
  noteUndelivered(id: string, note: UndeliveredMessage): Promise<void>;
  /** Requests in `status` decided before `decidedBefore`, oldest first: the outbox sweep's query. */
  listDecided(status: RequestStatus, decidedBefore: Date, limit: number): Promise<ChangeRequest[]>;
  /** PENDING requests whose expiresAt is at or before `now`, oldest first. */
  listPendingExpired(now: Date, limit: number): Promise<ChangeRequest[]>;
  /** PENDING requests whose remindAt is at or before `now`, earliest first. */
  listRemindersDue(now: Date, limit: number): Promise<ChangeRequest[]>;
  /** PENDING requests with no approval message recorded, created before `createdBefore`, oldest first. */
  listUnposted(createdBefore: Date, limit: number): Promise<ChangeRequest[]>;
  /** A workspace's requests, newest first (by createdAt), optionally of one status and/or requester: the App Home's query. */
  listByWorkspace(workspaceId: string, filter: RequestListFilter): Promise<ChangeRequest[]>;
}

export interface RequestListFilter {
  status?: RequestStatus;
  /** Slack user id of the requester. */
  requester?: string;
  limit: number;
}

/** How many undelivered-message notes a request keeps. */
export const UNDELIVERED_KEPT = 20;

export interface HistoryRepository {
  /** Insert-if-absent by entry id, so writing the same event twice leaves one line. */
  append(entry: HistoryEntry): Promise<void>;
  /** Newest first. */
  listBySubject(type: SubjectType, id: string, limit: number): Promise<HistoryEntry[]>;
}

export interface TechnicalUserRepository {
  /** Returns false when the workspace already has a technical user with that userName. */
  insert(t: TechnicalUser): Promise<boolean>;
  findById(id: string): Promise<TechnicalUser | null>;
  findByName(workspaceId: string, userName: string): Promise<TechnicalUser | null>;
  findByTokenHash(hash: string): Promise<TechnicalUser | null>;
  update(
    id: string,
    expectedVersion: number,
    fields: Partial<Pick<TechnicalUser, 'description' | 'role' | 'customerRoles' | 'accessControlEntities' | 'token' | 'lastRequestId'>>,
  ): Promise<TechnicalUser | null>;
  /** Deletes only while the version matches; false when it lost a race or is gone. */
  delete(id: string, expectedVersion: number): Promise<boolean>;
  list(workspaceId: string): Promise<TechnicalUser[]>;
  /** Tokens never revealed by their deadline (`token.revealBy` before `now`, not revoked). */
  listRevealOverdue(now: Date, limit: number): Promise<TechnicalUser[]>;
  /**
   * Tokens whose next expiry warning is due (`token.nextWarningAt` at or before `now`, not
   * revoked), earliest first. Read through an index: the cost follows the due tokens, not all.
   */
  listWarningsDue(now: Date, limit: number): Promise<TechnicalUser[]>;
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

/** Seals a token for the time it waits to be revealed; bound to a context (the request id). */
export interface TokenSealer {
  seal(token: string, context: string): Promise<string>;
  /** Throws when the sealed text was not made by us for this context. */
  open(sealed: string, context: string): Promise<string>;
}

/**
 * A key that signs access tokens, as kept in the store: its private half sealed (JWE, key derived
 * from KEYWARDEN_SECRET), never plaintext. `generation` numbers the keys in the order they were
 * made and is unique, so processes racing to make the same key agree on one (first writer wins).
 */
export interface SigningKeyRecord {
  /** The JWK `kid` (RFC 7638 thumbprint of the public key). */
  id: string;
  generation: number;
  alg: 'ES256';
  /** The private key (PKCS#8 PEM) sealed with the key id as context. */
  sealed: string;
  createdAt: Date;
  /** When it stopped signing; null while it may sign. It stays published until its tokens lapse. */
  retiresAt: Date | null;
}

export interface SigningKeyRepository {
  /** Every key, newest generation first. */
  list(): Promise<SigningKeyRecord[]>;
  /**
   * Inserts the key unless one of its generation exists; returns the stored key of that
   * generation (the earlier one when another process got there first).
   */
  insertIfAbsent(key: SigningKeyRecord): Promise<SigningKeyRecord>;
  /**
   * Sets retiresAt to `at` unless it is already set to `at` or earlier; returns the stored key,
   * or null when there is no such key.
   */
  retire(id: string, at: Date): Promise<SigningKeyRecord | null>;
}

export interface Store {
  workspaces: WorkspaceRepository;
  users: UserRepository;
  permissions: PermissionRepository;
  requests: RequestRepository;
  history: HistoryRepository;
  technicalUsers: TechnicalUserRepository;
  tokenReveals: TokenRevealRepository;
  signingKeys: SigningKeyRepository;
  /** Creates indexes; safe to call on every start. */
  init(): Promise<void>;
  /** Throws when the store cannot be reached (for readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'mongodb';
}

/** What an access token says: the technical user, its workspace and role, and which API token it came from. */
export interface AccessTokenClaims {
  /** Technical user id. */
  sub: string;
  /** Technical user's userName. */
  name: string;
  workspaceId: string;
  role: Role;
  /** First 16 hex characters of the API token's hash: a token outlives neither rotation nor deletion. */
  tkh: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  exp: number;
}

/** A public key that verifies access tokens, as published at /.well-known/jwks.json. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  [member: string]: unknown;
}

/** Signs and verifies access tokens (JWT); implemented with jose in crypto/. */
export interface AccessTokenSigner {
  sign(claims: AccessTokenClaims): Promise<string>;
  /** The claims of a token we signed that has not expired at `now`; null for anything else. */
  verify(token: string, now: Date): Promise<AccessTokenClaims | null>;
  /** The keys that verify tokens still in circulation. */
  publicKeys(): Promise<PublicJwk[]>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Hands an approved request to the workers. Must be idempotent per request id. */
export interface ApplyQueue {
  enqueue(requestId: string): Promise<void>;
}

/** What the use cases tell people; implemented on Slack. */
export interface Notifier {
  /** Posts the approval message with its buttons and returns where it is. */
  requestCreated(r: ChangeRequest, ws: Workspace): Promise<{ channel: string; ts: string }>;
  /** Rewrites the approval message for the request's current state (buttons only while PENDING). */
  requestUpdated(r: ChangeRequest, ws: Workspace): Promise<void>;
  /** Tells the requester, by DM, how their request ended (with a Reveal button for a new token). */
  tellRequester(r: ChangeRequest, ws: Workspace): Promise<void>;
  /** Posts to the workspace's notification channels. */
  notifyChannels(ws: Workspace, text: string): Promise<void>;
  /** Reminds the approvers of a pending request (under its approval message) that it expires soon. */
  remindApprovers(r: ChangeRequest, ws: Workspace, now: Date): Promise<void>;
  /** Warns the notification channels that a token expires (or has), with Rotate and Extend buttons. */
  tokenExpiring(ws: Workspace, tu: TechnicalUser, days: number, now: Date): Promise<void>;
}

/** The structured logger every part receives (pino's shape). */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Log;
}
