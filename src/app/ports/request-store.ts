/** Requests and their history: the approval flow's records. */
import type { HistoryEntry, HistorySubjectType } from '../../domain/history.js';
import type { ChainedEntry } from '../../domain/history-chain.js';
import type { ChangeRequest, OwedEvent, RequestStatus, UndeliveredMessage } from '../../domain/request.js';

export type RequestFields = Partial<
  Pick<ChangeRequest, 'status' | 'approvals' | 'decidedBy' | 'decidedAt' | 'outcome' | 'appliedAt' | 'remindAt' | 'escalateAt' | 'breakGlass'>
>;

export interface RequestRepository {
  insert(r: ChangeRequest): Promise<void>;
  findById(id: string): Promise<ChangeRequest | null>;
  /**
   * Compare-and-set on (status, version): the only way a request's state moves. Returns the
   * updated request, or null when another actor got there first. `owed`: the status change is
   * also appended to `unnoted`, in the same write (the webhooks' outbox).
   */
  update(
    id: string,
    expected: { status: RequestStatus; version: number },
    fields: RequestFields,
    owed?: OwedEvent,
  ): Promise<ChangeRequest | null>;
  /** Requests with a status change owed to the webhooks from at or before `before`, oldest owed first. */
  listUnnoted(before: Date, limit: number): Promise<ChangeRequest[]>;
  /** Takes the owed change to `status` off the request (its note is in the event log). */
  markNoted(id: string, status: RequestStatus): Promise<void>;
  /** Where the approval message is: metadata, not state (no version bump). */
  setSlackRef(id: string, ref: { channel: string; ts: string }): Promise<void>;
  /**
   * Claims the right to tell the requester the outcome: true for exactly one caller (sets
   * notifiedAt while it is null). A caller whose message then fails releases the claim.
   */
  claimNotified(id: string, at: Date): Promise<boolean>;
  releaseNotified(id: string): Promise<void>;
  /**
   * The same claim for any other once-only message about a request, named by `key` (e.g. that its
   * grant ended): true for exactly one caller; released when the message then fails.
   */
  claimNotice(id: string, key: string, at: Date): Promise<boolean>;
  releaseNotice(id: string, key: string): Promise<void>;
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
  /** PENDING requests whose escalateAt is at or before `now`, earliest first. */
  listEscalationsDue(now: Date, limit: number): Promise<ChangeRequest[]>;
  /** PENDING requests that need no approval (approveAt at or before `before`), earliest first. */
  listApprovalsOwed(before: Date, limit: number): Promise<ChangeRequest[]>;
  /**
   * APPLIED break-glass requests nobody has reviewed yet, applied earliest first; of the
   * workspaces `workspaceIds` only, when given (the active ones).
   */
  listBreakGlassUnreviewed(limit: number, workspaceIds?: readonly string[]): Promise<ChangeRequest[]>;
  /** PENDING requests with no approval message recorded, created before `createdBefore`, oldest first. */
  listUnposted(createdBefore: Date, limit: number): Promise<ChangeRequest[]>;
  /** A workspace's requests, newest first (by createdAt, then id), optionally of one status and/or requester: the App Home's query. */
  listByWorkspace(workspaceId: string, filter: RequestListFilter): Promise<ChangeRequest[]>;
}

export interface RequestListFilter {
  status?: RequestStatus;
  /** Slack user id of the requester. */
  requester?: string;
  /** Only requests after this one in the list's order (older, or as old with a smaller id): the next page. */
  before?: { createdAt: Date; id: string };
  limit: number;
}

/** How many undelivered-message notes a request keeps. */
export const UNDELIVERED_KEPT = 20;

export interface HistoryRepository {
  /**
   * Insert-if-absent by entry id, so writing the same event twice leaves one line. A new line is
   * chained (history-chain.ts): it gets the next seq of its workspace and the hash of the line
   * before, in one conditional write that fails if another line took that seq first (then it is
   * chained again after that one), so concurrent appends never fork the chain.
   */
  append(entry: HistoryEntry): Promise<void>;
  /** The line with this id: a request's own line says its change was made (see domain/applied.ts). */
  findById(id: string): Promise<HistoryEntry | null>;
  /** Newest first. */
  listBySubject(type: HistorySubjectType, id: string, limit: number): Promise<HistoryEntry[]>;
  /** A workspace's chained lines with seq above `afterSeq`, in seq order (oldest first), filtered. */
  listByWorkspace(workspaceId: string, query: HistoryQuery): Promise<ChainedEntry[]>;
}

export interface HistoryQuery {
  afterSeq: number;
  limit: number;
  /** Lines at or after this moment. */
  since?: Date;
  /** Lines before this moment. */
  until?: Date;
  /** Lines whose subject has this id or label. */
  subject?: string;
}

