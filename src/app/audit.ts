/**
 * The audit trail: a workspace's history lines, oldest first, for an auditor holding an ADMIN
 * technical user's token of that workspace, and the check that its hash chain is whole.
 */
import { Codes, DomainError } from '../domain/errors.js';
import { ChainVerifier, type ChainedEntry, type ChainHead, type ChainReport } from '../domain/history-chain.js';
import { assertMayRead, type Principal } from './access-tokens.js';
import type { HistoryQuery, Store } from './ports.js';

export const AUDIT_PAGE_DEFAULT = 200;
export const AUDIT_PAGE_MAX = 1000;
/** How many lines the verifier reads per store call. */
const VERIFY_PAGE = 1000;

export interface AuditFilter {
  since?: Date;
  until?: Date;
  subject?: string;
}

/** Where a page starts: after this seq of this workspace. Opaque to callers (api/ encodes it). */
export interface AuditPosition {
  workspaceId: string;
  afterSeq: number;
}

/** A line as the auditor gets it. `redacted` marks a line whose served content differs from what was hashed. */
export type AuditLine = ChainedEntry & { redacted?: true };

export interface AuditPage {
  lines: AuditLine[];
  /** Where the next page starts; null on the last page. */
  next: AuditPosition | null;
  /** On the last page: whether the workspace's whole chain is intact. */
  chain: ChainReport | null;
}

// History lines never hold a secret by construction (tokens appear as their last four only); this
// is the belt to that: a field named like a secret is never served, and the line says so.
const SECRET_KEY = /^(token|apiToken|accessToken|access_token|secret|password|sealed|plaintext|authorization)$/i;

export class AuditService {
  constructor(private readonly deps: { store: Store }) {}

  /** One page of a workspace's history; the last page carries the chain's verification. */
  async page(caller: Principal, workspaceId: string, filter: AuditFilter, from: AuditPosition | null, limit = AUDIT_PAGE_DEFAULT): Promise<AuditPage> {
    assertMayAudit(caller, workspaceId);
    if (from && from.workspaceId !== workspaceId) throw new DomainError(Codes.AUDIT_BAD_CURSOR, 'That cursor belongs to another workspace.');
    const n = Math.min(Math.max(1, Math.floor(limit)), AUDIT_PAGE_MAX);
    const query: HistoryQuery = { afterSeq: from?.afterSeq ?? 0, limit: n, ...filter };
    const lines = await this.deps.store.history.listByWorkspace(workspaceId, query);
    const last = lines.length < n;
    return {
      lines: lines.map(withoutSecrets),
      next: last ? null : { workspaceId, afterSeq: lines.at(-1)!.seq },
      chain: last ? await this.verify(workspaceId) : null,
    };
  }

  /**
   * Reads the workspace's whole chain, in seq order, and checks every link. With `anchor` (a head
   * kept from an earlier read), also that the chain still holds that line, unchanged.
   */
  async verify(workspaceId: string, anchor: ChainHead | null = null): Promise<ChainReport> {
    const v = new ChainVerifier(workspaceId, anchor);
    for (let after = 0; ; ) {
      const page = await this.deps.store.history.listByWorkspace(workspaceId, { afterSeq: after, limit: VERIFY_PAGE });
      for (const line of page) v.add(line);
      if (page.length < VERIFY_PAGE) return v.result();
      after = page.at(-1)!.seq;
    }
  }
}

/** Only an ADMIN technical user of the workspace itself reads its audit trail. */
export function assertMayAudit(p: Principal, workspaceId: string): void {
  assertMayRead(p, workspaceId);
  if (p.role !== 'ADMIN') {
    throw new DomainError(Codes.ROLE_TOO_LOW, `Technical user ${p.userName} is ${p.role}; only ADMIN technical users may read the audit trail.`);
  }
}

/** A line as the audit trail serves it (and webhooks push it): fields named like a secret dropped, the line marked. */
export function withoutSecrets(line: ChainedEntry): AuditLine {
  let redacted = false;
  const clean = (v: Record<string, unknown> | null) => {
    if (!v) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SECRET_KEY.test(k)) redacted = true;
      else out[k] = x;
    }
    return out;
  };
  const out: AuditLine = { ...line, before: clean(line.before), after: clean(line.after) };
  if (redacted) out.redacted = true;
  return out;
}
