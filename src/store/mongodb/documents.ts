/**
 * The boundary between domain records and MongoDB documents. Records keep their string `id` as
 * the document's `_id`; nothing outside this folder ever sees an `_id`. Dates are stored as BSON
 * dates and come back as Date, so no other conversion is needed.
 */
import type { Collection, Db } from 'mongodb';
import type { SigningKeyRecord, SlackInstallation, TokenReveal } from '../../app/ports.js';
import type { HistoryEntry } from '../../domain/history.js';
import type { OwnershipRecord } from '../../domain/ownership-review.js';
import type { Permission } from '../../domain/permission.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { User } from '../../domain/user.js';
import type { Workspace } from '../../domain/workspace.js';
import type { Campaign } from '../../domain/access-review.js';
import type { ItemDoc } from './access-reviews.js';

/** Omit that keeps a union a union (ChangeRequest is one, discriminated by `kind`). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A record as stored: `id` renamed to `_id`. */
export type Doc<T extends { id: string }> = DistributiveOmit<T, 'id'> & { _id: string };

/** Users also carry the key their email is unique by (trimmed, lowercased). */
export type UserDoc = Doc<User> & { emailKey: string };

/** A Date that is a real moment (`new Date('nope')` is a Date too). */
export const isDate = (v: unknown): v is Date => v instanceof Date && !Number.isNaN(v.getTime());

/**
 * Refuses an invalid Date anywhere in a value about to be written. BSON has no invalid date: the
 * driver would store it as 1970-01-01, which every later comparison would then believe.
 */
export function assertValidDates(value: unknown, what: string): void {
  if (value instanceof Date) {
    if (!isDate(value)) throw new TypeError(`${what} is an invalid Date`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) assertValidDates(v, `${what}.${k}`);
}

export function toDoc<T extends { id: string }>(record: T): Doc<T> {
  assertValidDates(record, 'record');
  const { id, ...rest } = record;
  return { ...rest, _id: id } as Doc<T>;
}

export function fromDoc<T extends { id: string }>(doc: Doc<T>): T {
  const { _id, ...rest } = doc;
  // The one cast of the mapping: `rest` is exactly T without `id`, which TypeScript cannot see
  // through the distributive Omit.
  return { id: _id, ...rest } as unknown as T;
}

/**
 * Everything the adapter puts into a filter goes through here. Callers type their ids as
 * strings, but a value that came from a parsed body could still be `{ "$gt": "" }`; such a value
 * must never reach a filter, so it is treated as matching nothing.
 */
export const isKey = (v: unknown): v is string => typeof v === 'string';

/** For values written as documents through an upsert filter, where "not found" is no answer. */
export function assertKey(v: unknown, what: string): asserts v is string {
  if (typeof v !== 'string') throw new TypeError(`${what} must be a string`);
}

/** The filter part "of these workspaces only" (nothing when not given); a non-string id matches nothing. */
export const amongWorkspaces = (ids?: readonly string[]): { workspaceId?: { $in: string[] } } =>
  ids ? { workspaceId: { $in: ids.filter(isKey) } } : {};

/** A version the caller expects; anything but an integer can never match. */
export const isVersion = (v: unknown): v is number => Number.isSafeInteger(v);

/** `limit` as MongoDB understands it: a positive integer (0 would mean "no limit" there). */
export const toLimit = (limit: number): number => (Number.isFinite(limit) ? Math.floor(limit) : 0);

/**
 * The `$set` of a compare-and-set: only the fields the port lets the caller change, and only
 * those actually given. `{ status: undefined }` means "not this field", as with an absent key;
 * BSON would otherwise store it as null.
 */
export function setOf<K extends string>(fields: Partial<Record<K, unknown>>, allowed: readonly K[]) {
  const set: Partial<Record<K, unknown>> = {};
  for (const key of allowed) {
    if (Object.hasOwn(fields, key) && fields[key] !== undefined) set[key] = fields[key];
  }
  assertValidDates(set, 'update');
  return set;
}

/**
 * The update of a compare-and-set: the given fields, and the version bumped. An empty `$set` is
 * left out, since servers before 5.0 refuse one; the version still moves, as in the memory store.
 */
export function casUpdate(set: Record<string, unknown>): { $set?: Record<string, unknown>; $inc: { version: 1 } } {
  return Object.keys(set).length > 0 ? { $set: set, $inc: { version: 1 } } : { $inc: { version: 1 } };
}

export const COLLECTIONS = {
  workspaces: 'workspaces',
  users: 'users',
  permissions: 'permissions',
  technicalUsers: 'technicalUsers',
  requests: 'requests',
  history: 'history',
  tokenReveals: 'tokenReveals',
  signingKeys: 'signingKeys',
  ownership: 'techUserOwnership',
  slackInstallations: 'slackInstallations',
  accessReviewCampaigns: 'accessReviewCampaigns',
  accessReviewItems: 'accessReviewItems',
} as const;
export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

export interface Collections {
  workspaces: Collection<Doc<Workspace>>;
  users: Collection<UserDoc>;
  permissions: Collection<Doc<Permission>>;
  technicalUsers: Collection<Doc<TechnicalUser>>;
  requests: Collection<Doc<ChangeRequest>>;
  history: Collection<Doc<HistoryEntry>>;
  tokenReveals: Collection<Doc<TokenReveal>>;
  signingKeys: Collection<Doc<SigningKeyRecord>>;
  ownership: Collection<Doc<OwnershipRecord>>;
  slackInstallations: Collection<Doc<SlackInstallation>>;
  accessReviewCampaigns: Collection<Doc<Campaign>>;
  accessReviewItems: Collection<ItemDoc>;
}

export function collections(db: Db): Collections {
  return {
    workspaces: db.collection<Doc<Workspace>>(COLLECTIONS.workspaces),
    users: db.collection<UserDoc>(COLLECTIONS.users),
    permissions: db.collection<Doc<Permission>>(COLLECTIONS.permissions),
    technicalUsers: db.collection<Doc<TechnicalUser>>(COLLECTIONS.technicalUsers),
    requests: db.collection<Doc<ChangeRequest>>(COLLECTIONS.requests),
    history: db.collection<Doc<HistoryEntry>>(COLLECTIONS.history),
    tokenReveals: db.collection<Doc<TokenReveal>>(COLLECTIONS.tokenReveals),
    signingKeys: db.collection<Doc<SigningKeyRecord>>(COLLECTIONS.signingKeys),
    ownership: db.collection<Doc<OwnershipRecord>>(COLLECTIONS.ownership),
    slackInstallations: db.collection<Doc<SlackInstallation>>(COLLECTIONS.slackInstallations),
    accessReviewCampaigns: db.collection<Doc<Campaign>>(COLLECTIONS.accessReviewCampaigns),
    accessReviewItems: db.collection<ItemDoc>(COLLECTIONS.accessReviewItems),
  };
}
