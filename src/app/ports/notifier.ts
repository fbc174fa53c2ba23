/** What the use cases tell people; implemented on Slack. */
import type { GrantEnd } from '../../domain/grant.js';
import type { ChangeRequest } from '../../domain/request.js';
import type { TechnicalUser } from '../../domain/technical-user.js';
import type { Workspace } from '../../domain/workspace.js';

/** Where a grant's end is told: the requester's DM, or the approval message's thread. */
export type GrantEndedTo = 'requester' | 'thread';

/**
 * Where a break-glass line goes: the approval message's thread, or a notification channel (its
 * id). Each place is claimed on its own, so a channel that refuses does not repeat the others.
 */
export type PolicyLinePlace = 'thread' | string;

/**
 * Slack refused a message for good (an archived channel, one not found, the bot not in it):
 * sending it again would be refused again. Any other failure may pass.
 */
export class MessageRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MessageRefusedError';
  }
}

export interface Notifier {
  /**
   * Posts the approval message with its buttons and returns where it is; or null when Slack is
   * limiting and the message waits its turn (it is posted, and where it is recorded, later).
   */
  requestCreated(r: ChangeRequest, ws: Workspace): Promise<{ channel: string; ts: string } | null>;
  /** Rewrites the approval message for the request's current state (buttons only while PENDING). */
  requestUpdated(r: ChangeRequest, ws: Workspace): Promise<void>;
  /** Tells the requester, by DM, how their request ended (with a Reveal button for a new token). */
  tellRequester(r: ChangeRequest, ws: Workspace): Promise<void>;
  /**
   * Tells the person whose permission `r` changed (Slack user `to`), by DM: what changed, who
   * asked, who approved, and until when (`until`, a grant's end).
   */
  tellSubject(r: ChangeRequest, ws: Workspace, to: string, until: Date | null): Promise<void>;
  /**
   * Finds who the subject of applied request `r` is on Slack, in its own time (paced, retried),
   * and then tells them as tellSubject does (app/subject-notice.ts).
   */
  findSubject(r: ChangeRequest, ws: Workspace): Promise<void>;
  /** Posts to the workspace's notification channels. */
  notifyChannels(ws: Workspace, text: string): Promise<void>;
  /**
   * A break-glass change was made without approval: said in one place, the approval message's
   * thread (the message itself shows it) or a notification channel.
   */
  breakGlassUsed(r: ChangeRequest, ws: Workspace, where: PolicyLinePlace): Promise<void>;
  /** A break-glass change still awaits review after `hours`: a reminder in one place. */
  breakGlassUnreviewed(r: ChangeRequest, ws: Workspace, hours: number, where: PolicyLinePlace): Promise<void>;
  /** A pending request was escalated: said in its thread, naming who may now also decide. */
  escalated(r: ChangeRequest, ws: Workspace, to: string[]): Promise<void>;
  /** Reminds the approvers of a pending request (under its approval message) that it expires soon. */
  remindApprovers(r: ChangeRequest, ws: Workspace, now: Date): Promise<void>;
  /**
   * Tells that a grant ended (how, and the role it went back to): to its requester by DM, or in
   * the approval message's thread. Throws MessageRefusedError when Slack refuses it for good.
   */
  grantEnded(r: ChangeRequest, ws: Workspace, end: GrantEnd, revertedTo: string, to: GrantEndedTo): Promise<void>;
  /**
   * Warns the notification channels that tokens expire (or have), each with Rotate and Extend
   * buttons: a message each for a few, one digest for many.
   */
  /**
   * Changes found in a connected LeanIX workspace that Keywarden did not make, by their history
   * line ids, to the notification channels: at once, or (`digest`) as the digest of that UTC day.
   */
  driftFound(ws: Workspace, entryIds: string[], digest?: { day: string }): Promise<void>;
  tokensExpiring(ws: Workspace, warnings: Array<{ tu: TechnicalUser; days: number }>, now: Date): Promise<void>;
}

