/** Owners and review state of technical users (domain/ownership-review.ts). */
import type { OwnershipRecord, ReviewFields } from '../../domain/ownership-review.js';

export interface OwnershipRepository {
  /** Inserts the record unless the technical user already has one; false when it had. */
  insertIfAbsent(r: OwnershipRecord): Promise<boolean>;
  findById(technicalUserId: string): Promise<OwnershipRecord | null>;
  /**
   * Compare-and-set on the version: sets `fields` and bumps the version only while the stored
   * version is `expectedVersion`. Null when another actor got there first (or it is gone).
   */
  update(technicalUserId: string, expectedVersion: number, fields: ReviewFields): Promise<OwnershipRecord | null>;
  /**
   * Sets lastUsedAt to `at` when it is unset or at or before `olderThan` (metadata: no version bump, so
   * it never makes a review step's compare-and-set lose). Does nothing for an unknown id.
   */
  touchLastUsed(technicalUserId: string, at: Date, olderThan: Date): Promise<void>;
  /** Removes the record of a technical user that no longer exists. */
  delete(technicalUserId: string): Promise<void>;
  /**
   * Records whose `nextAt` is at or before `now`, earliest first, through an index; of the
   * workspaces `workspaceIds` only, when given (the active ones: a retired workspace's records
   * wait, due, without holding back the others').
   */
  listDue(now: Date, limit: number, workspaceIds?: readonly string[]): Promise<OwnershipRecord[]>;
  /** A workspace's records (for /techuser list and the Home tab). */
  listByWorkspace(workspaceId: string): Promise<OwnershipRecord[]>;
  /** How many technical users are unreviewed (escalated or delete-requested), across workspaces: the metric. */
  countUnreviewed(): Promise<number>;
}
