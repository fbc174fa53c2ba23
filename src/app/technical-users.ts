/**
 * Technical users (service accounts) and their API tokens, as the LeanIX document describes them:
 * create, replace the token, change expiry or role, delete, read the changelog. Used by the
 * approval flow (TechnicalUserRequests) and the reveal button; the plaintext of a new token only
 * ever exists in memory and, sealed, in the reveal record until its owner reveals it.
 */
import { randomUUID } from 'node:crypto';
import { generateApiToken, hashApiToken } from '../domain/api-token.js';
import { Codes, DomainError } from '../domain/errors.js';
import type { Actor, HistoryEntry } from '../domain/history.js';
import type { ChangeRequest } from '../domain/request.js';
import { firstWarningAt } from '../domain/expiry-warnings.js';
import type { StoredToken, TechnicalUser } from '../domain/technical-user.js';
import { isAdmin } from '../domain/workspace.js';
import type { Clock, Log, Notifier, Store, TokenReveal, TokenSealer } from './ports.js';
import { ConcurrentChangeError } from './permissions.js';

const HOUR = 3600_000;

/** A token handed out: the plaintext, `done` once it was shown (destroys the sealed copy), `failed` to let its owner try again. */
export interface Revealed {
  token: string;
  technicalUser: TechnicalUser;
  done(): Promise<void>;
  failed(): Promise<void>;
}

export class TechnicalUserService {
  constructor(
    private readonly deps: { store: Store; sealer: TokenSealer; clock: Clock; revealTtlHours: number; notifier: Notifier; log: Log },
  ) {}

  list(workspaceId: string): Promise<TechnicalUser[]> {
    return this.deps.store.technicalUsers.list(workspaceId);
  }

  async get(workspaceId: string, userName: string): Promise<TechnicalUser> {
    const tu = await this.deps.store.technicalUsers.findByName(workspaceId, userName);
    if (!tu) throw new DomainError(Codes.TECHUSER_NOT_FOUND, `There is no technical user named ${userName} in this workspace.`);
    return tu;
  }

  async history(workspaceId: string, userName: string, limit = 25): Promise<HistoryEntry[]> {
    const tu = await this.get(workspaceId, userName);
    return this.deps.store.history.listBySubject('technicalUser', tu.id, limit);
  }

  /**
   * The token for a request: the one already sealed for it when an earlier run got that far, else
   * a new one, sealed and stored for its owner before anything points at its hash. So a retried
   * job never makes a second token, and the token it stores is the one the owner will see.
   */
  async tokenFor(r: ChangeRequest, technicalUserId: string): Promise<{ hash: string; lastFour: string; revealBy: Date }> {
    const { store, sealer, clock, revealTtlHours } = this.deps;
    const existing = await store.tokenReveals.findById(r.id);
    if (existing) {
      const token = await sealer.open(existing.sealed, r.id);
      return { hash: hashApiToken(token), lastFour: token.slice(-4), revealBy: existing.expiresAt };
    }
    const fresh = generateApiToken();
    const revealBy = new Date(clock.now().getTime() + revealTtlHours * HOUR);
    const stored = await store.tokenReveals.put({
      id: r.id, workspaceId: r.workspaceId, technicalUserId, recipient: r.requester,
      sealed: await sealer.seal(fresh.token, r.id), expiresAt: revealBy, claimedAt: null,
    });
    // Lost a race with a concurrent run of the same request: use the token that run stored.
    const token = await sealer.open(stored.sealed, r.id);
    return { hash: hashApiToken(token), lastFour: token.slice(-4), revealBy: stored.expiresAt };
  }

  /**
   * Seals a token made elsewhere (a connected LeanIX's answer) for the request's requester, at
   * once, in place of any copy an earlier run sealed: that run's token was replaced since, so the
   * token the owner can reveal is always the one that works. The plaintext goes no further.
   */
  async sealToken(r: ChangeRequest, technicalUserId: string, token: string): Promise<{ hash: string; lastFour: string; revealBy: Date }> {
    const { store, sealer, clock, revealTtlHours } = this.deps;
    await store.tokenReveals.delete(r.id);
    const revealBy = new Date(clock.now().getTime() + revealTtlHours * HOUR);
    const stored = await store.tokenReveals.put({
      id: r.id, workspaceId: r.workspaceId, technicalUserId, recipient: r.requester,
      sealed: await sealer.seal(token, r.id), expiresAt: revealBy, claimedAt: null,
    });
    return { hash: hashApiToken(token), lastFour: token.slice(-4), revealBy: stored.expiresAt };
  }

  /** A new token's stored form; its expiry-warning count starts from the workspace's thresholds. */
  newStoredToken(t: { hash: string; lastFour: string; revealBy: Date }, expiresAt: Date, warningDays: number[]): StoredToken {
    return {
      hash: t.hash, lastFour: t.lastFour, createdAt: this.deps.clock.now(), expiresAt, revealBy: t.revealBy, revokedAt: null,
      nextWarningAt: firstWarningAt(expiresAt, warningDays), lastWarnedDays: null,
    };
  }

  /**
   * Hands the token of a reveal to its owner, once. Returns the plaintext and a `done` to call once
   * it has been shown (destroys the sealed copy), or `failed` to let the owner try again.
   *
   * The reveal deadline ends *before* the token is handed out, in one compare-and-set on the
   * technical user that the revoke sweep's own compare-and-set races against: either the owner
   * gets the token and it is never revoked as "never revealed", or the sweep revoked it first and
   * the owner is told so. Nothing that fails after the token was shown can bring the deadline back.
   */
  reveal(requestId: string, slackUserId: string): Promise<Revealed> {
    return this.handOut(requestId, slackUserId, { type: 'slack', id: slackUserId }, async (rv) => {
      // A token is for someone who may still ask for it: an owner who is no longer an admin is
      // refused, and the token lapses at its deadline like any other never revealed.
      const ws = await this.deps.store.workspaces.findById(rv.workspaceId);
      if (!ws || !isAdmin(ws, slackUserId)) {
        throw new DomainError(Codes.AUTHORITY_LOST, `You are no longer an admin of ${ws ? `workspace ${ws.name}` : 'that workspace'}, so this token cannot be shown to you. It will be revoked at its reveal deadline; an admin can rotate it.`);
      }
    });
  }

  /**
   * A technical user's rotation of its own token, carried out while it waits for the API's answer:
   * the new token goes into that answer, claimed exactly as a Reveal click claims it (so it is
   * handed out once, whoever else might try), for the reveal's recipient (the request's requester).
   */
  revealToItself(requestId: string, recipient: string, caller: { id: string; name: string }): Promise<Revealed> {
    return this.handOut(requestId, recipient, { type: 'technicalUser', id: caller.id, name: caller.name }, async (rv) => {
      if (rv.technicalUserId !== caller.id) throw new DomainError(Codes.REVEAL_UNAVAILABLE, 'That token is not this technical user\'s own.');
    });
  }

  private async handOut(requestId: string, recipient: string, actor: Actor, mayHave: (rv: TokenReveal) => Promise<void>): Promise<Revealed> {
    const { store, sealer, clock, log } = this.deps;
    const rv = await store.tokenReveals.claim(requestId, recipient, clock.now());
    if (!rv) {
      throw new DomainError(Codes.REVEAL_UNAVAILABLE, 'There is no token to reveal here: it was already revealed, it expired, or it is not yours.');
    }
    let token: string;
    let tu: TechnicalUser | null;
    try {
      await mayHave(rv);
      token = await sealer.open(rv.sealed, requestId);
      tu = await this.endRevealDeadline(rv.technicalUserId, hashApiToken(token));
    } catch (err) {
      // Nothing was shown: let the owner click again.
      await store.tokenReveals.release(requestId).catch((e: unknown) => log.error({ err: e, requestId }, 'could not release a reveal claim'));
      throw err;
    }
    if (!tu) {
      await store.tokenReveals.delete(requestId);
      throw new DomainError(Codes.REVEAL_UNAVAILABLE, 'This token is no longer valid: it was replaced, revoked or deleted.');
    }
    const shown = tu;
    return {
      token,
      technicalUser: shown,
      done: async () => {
        // The deadline is over already; what is left is tidying up, each step logged if it fails.
        await store.tokenReveals.delete(requestId).catch((err: unknown) =>
          log.error({ err, requestId }, 'could not destroy a revealed token\'s sealed copy; it is claimed, so no one can reveal it again, and it lapses at its deadline'),
        );
        await this.record(shown, 'techuser.token_revealed', actor, requestId, [], null, null, `${requestId}:revealed`)
          .catch((err: unknown) => log.error({ err, requestId }, 'could not write the history line of a revealed token'));
      },
      failed: async () => {
        await this.restoreRevealDeadline(shown.id, hashApiToken(token), rv.expiresAt);
        await store.tokenReveals.release(requestId);
      },
    };
  }

  /**
   * Ends the reveal deadline of the token with this hash: the technical user as it now is, or null
   * when that token is gone (replaced, revoked, deleted). Compare-and-set, so it and the revoke
   * sweep cannot both win.
   */
  private async endRevealDeadline(id: string, hash: string): Promise<TechnicalUser | null> {
    for (let i = 0; i < 5; i++) {
      const tu = await this.deps.store.technicalUsers.findById(id);
      if (!tu?.token || tu.token.hash !== hash || tu.token.revokedAt) return null;
      if (tu.token.revealBy === null) return tu;
      const ended = await this.deps.store.technicalUsers.update(id, tu.version, { token: { ...tu.token, revealBy: null } });
      if (ended) return ended;
    }
    throw new ConcurrentChangeError(`technical user ${id} kept changing during a reveal; try again`);
  }

  /** A reveal that could not be shown: its deadline runs again, so an unrevealed token is still revoked. */
  private async restoreRevealDeadline(id: string, hash: string, revealBy: Date): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const tu = await this.deps.store.technicalUsers.findById(id);
      if (!tu?.token || tu.token.hash !== hash || tu.token.revokedAt || tu.token.revealBy !== null) return;
      if (await this.deps.store.technicalUsers.update(id, tu.version, { token: { ...tu.token, revealBy } })) return;
    }
    this.deps.log.error({ technicalUserId: id }, 'could not restore a reveal deadline; this token will not be revoked if it is never revealed');
  }

  /**
   * Revokes tokens whose owner never revealed them in time, and tells the workspace's
   * notification channels. Returns what was revoked.
   */
  async revokeUnrevealed(limit = 100): Promise<TechnicalUser[]> {
    const { store, clock, notifier, log } = this.deps;
    const now = clock.now();
    const revoked: TechnicalUser[] = [];
    for (const tu of await store.technicalUsers.listRevealOverdue(now, limit)) {
      if (!tu.token) continue;
      const done = await store.technicalUsers.update(tu.id, tu.version, { token: { ...tu.token, revealBy: null, revokedAt: now } });
      if (!done) continue; // changed meanwhile (revealed, rotated): the next scan looks again
      await store.tokenReveals.delete(tu.lastRequestId ?? '');
      await this.record(done, 'techuser.token_revoked', { type: 'system' }, tu.lastRequestId, [], null, { reason: 'not revealed in time' }, `${(tu.token.hash ?? tu.id).slice(0, 16)}:revoked`);
      revoked.push(done);
      const ws = await store.workspaces.findById(done.workspaceId);
      if (ws) {
        await notifier
          .notifyChannels(ws, `:warning: The new API token of technical user *${done.userName}* in ${ws.name} was never revealed, so it has been revoked. Rotate it (\`/techuser rotate ${done.userName}\`) to issue a new one.`)
          .catch((err: unknown) => log.error({ err, technicalUser: done.userName }, 'could not tell the notification channels about a revoked token'));
      }
    }
    return revoked;
  }

  record(
    tu: Pick<TechnicalUser, 'id' | 'workspaceId' | 'userName'>, action: string, actor: Actor, requestId: string | null,
    approvers: string[], before: Record<string, unknown> | null, after: Record<string, unknown> | null, id?: string, at?: Date,
  ): Promise<void> {
    return this.deps.store.history.append({
      id: id ?? requestId ?? randomUUID(), workspaceId: tu.workspaceId,
      subject: { type: 'technicalUser', id: tu.id, label: tu.userName },
      action, actor, requestId, approvers, before, after, at: at ?? this.deps.clock.now(),
    });
  }
}
