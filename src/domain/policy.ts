/**
 * Approval policies that follow the risk of a change. A workspace's `policy.rules` is an ordered
 * list, the first rule that matches a request decides how it is approved; a request no rule
 * matches follows the workspace's default (`requiredApprovals` from `approvers`), so workspaces
 * without rules behave as before. Approvers are Slack user ids (U…) and user group ids (S…);
 * groups are resolved by the app layer (app/policies.ts), this module only says who is named.
 *
 * An extension (`*.extend`) is more of a grant, so it needs at least what its grant needed: it
 * falls under the rule of the grant it extends and, where the policy has one, the rule for
 * extensions too (extensionRule below; docs/policies.md "Extensions").
 */
import { Codes, DomainError } from './errors.js';
import type { Grant } from './grant.js';
import type { Role } from './permission.js';
import type { NewRequest, RequestKind } from './request.js';
import type { Workspace, WorkspacePolicy } from './workspace.js';
import { durationWords } from './durations.js';

export const POLICY_KINDS = [
  'permission.role', 'permission.invite', 'permission.archive', 'permission.activate',
  'techuser.create', 'techuser.rotate', 'techuser.expiry', 'techuser.role', 'techuser.delete',
  'permission.extend', 'techuser.extend',
] as const satisfies readonly RequestKind[];

/** One rule of `policy.rules`, as the seed file gives it. */
export interface PolicyRule {
  kinds: RequestKind[];
  /** Narrows to requests for one of these target roles (kinds with a role only). */
  roles?: Role[];
  /** Narrows to time-bound requests (true) or permanent ones (false). */
  temporary?: boolean;
  /** Distinct eligible approvals needed (0 = applied at once). Default: the workspace's requiredApprovals. */
  approvals?: number;
  /** Who may decide: user ids U… and user group ids S…. Default: the workspace's approvers. */
  approvers?: string[];
  /** A reason is required, and it must be real text (see checkReason). */
  reasonRequired?: boolean;
  /** `breakglass` is allowed: applied at once, time-bound, reviewed afterwards. */
  breakGlass?: boolean;
  /** A request still pending this long after it was made is escalated to `escalateTo`. */
  escalateAfterHours?: number;
  escalateTo?: string[];
}

/** The rule a request falls under, with the workspace's defaults filled in. */
export interface MatchedRule {
  /** Index in `policy.rules`, or null for the workspace's default rule. */
  index: number | null;
  approvals: number;
  approvers: string[];
  reasonRequired: boolean;
  breakGlass: boolean;
  escalateAfterHours: number | null;
  escalateTo: string[];
  /**
   * A second rule every decider must also satisfy: an extension under both its grant's rule and a
   * rule for extensions, each needing approvals (extensionRule). Absent otherwise.
   */
  also?: MatchedRule;
}

export const DEFAULT_MAX_BREAK_GLASS_HOURS = 4;
export const DEFAULT_BREAK_GLASS_REVIEW_HOURS = 24;
export const MIN_REASON_LENGTH = 10;

export const isGroupId = (id: string): boolean => id.startsWith('S');

type Extension = Extract<NewRequest, { kind: 'permission.extend' | 'techuser.extend' }>;
export const isExtension = (r: NewRequest): r is Extension => r.kind === 'permission.extend' || r.kind === 'techuser.extend';

/** The target role of a request, where its kind has one; for an extension, the role its grant gives. */
function roleOf(r: NewRequest): Role | null {
  if (isExtension(r)) return r.params.grantRole ?? null;
  return 'role' in r.params ? r.params.role : null;
}

/** Time-bound: a grant (role with minutes) or more time for one. */
function isTemporary(r: NewRequest): boolean {
  return r.kind === 'permission.extend' || r.kind === 'techuser.extend' || ('minutes' in r.params && r.params.minutes !== undefined);
}

export function ruleMatches(rule: PolicyRule, r: NewRequest): boolean {
  if (!rule.kinds.includes(r.kind)) return false;
  if (rule.roles) {
    const role = roleOf(r);
    if (role === null || !rule.roles.includes(role)) return false;
  }
  if (rule.temporary !== undefined && rule.temporary !== isTemporary(r)) return false;
  return true;
}

/**
 * The rule a request falls under: the first matching rule of the workspace's policy, else its
 * default rule; for an extension, extensionRule.
 */
export function matchRule(ws: Pick<Workspace, 'approvers' | 'policy'>, r: NewRequest): MatchedRule {
  return isExtension(r) ? extensionRule(ws, r) : firstRule(ws, r);
}

function firstRule(ws: Pick<Workspace, 'approvers' | 'policy'>, r: NewRequest): MatchedRule {
  const rules = ws.policy.rules ?? [];
  const index = rules.findIndex((rule) => ruleMatches(rule, r));
  const rule = index >= 0 ? rules[index]! : null;
  return {
    index: rule ? index : null,
    approvals: rule?.approvals ?? Math.max(1, ws.policy.requiredApprovals),
    approvers: rule?.approvers ?? ws.approvers,
    reasonRequired: rule?.reasonRequired ?? false,
    breakGlass: rule?.breakGlass ?? false,
    escalateAfterHours: rule?.escalateAfterHours ?? null,
    escalateTo: rule?.escalateTo ?? [],
  };
}

/**
 * An extension's rule. An extension is more time with the grant's role, so it must need at least
 * what the grant needed: it is matched as the grant was asked for (the grant's kind and role, for
 * a time), and, if a rule of the policy names `*.extend` itself, under that rule too. Without such
 * a rule the grant's rule alone decides; with one, the stricter of the two, which means:
 *
 * - approvals: the larger number of the two;
 * - who: someone both rules name (the intersection, groups read as their members now). An auditor
 *   reads "approved under rule 1 and rule 3" as "every approver could have approved either": an
 *   ADMIN grant trusted only to @security is never made a week longer by someone outside it, and
 *   the people a workspace put over extensions are not bypassed either. A rule that needs no
 *   approval (`approvals: 0`) names nobody who must approve, so it narrows nothing;
 * - a reason: required if either rule requires one; escalation: as the grant's rule says;
 * - never break-glass (an extension goes through approval; break-glass grants are capped by
 *   checkBreakGlassExtension).
 *
 * If the two rules share nobody, nobody can approve the extension: it waits and expires, and
 * whoever clicks is told who may decide ("those of … who are also among …").
 */
export function extensionRule(ws: Pick<Workspace, 'approvers' | 'policy'>, r: Extension): MatchedRule {
  const { minutes, grantRole } = r.params;
  const asGranted: NewRequest = r.kind === 'permission.extend'
    ? { kind: 'permission.role', params: { email: r.params.email, role: grantRole, minutes } }
    : { kind: 'techuser.role', params: { userName: r.params.userName, role: grantRole, minutes } };
  const grant = firstRule(ws, asGranted);
  const ext = firstRule(ws, r);
  if (ext.index === null) return { ...grant, breakGlass: false }; // no rule names extensions: the default rule is not one
  const needs = (m: MatchedRule) => m.approvals > 0;
  const main = needs(grant) || !needs(ext) ? grant : ext;
  const also = needs(grant) && needs(ext) ? ext : null;
  return {
    ...main,
    approvals: Math.max(grant.approvals, ext.approvals),
    reasonRequired: grant.reasonRequired || ext.reasonRequired,
    breakGlass: false,
    ...(also ? { also } : {}),
  };
}

/**
 * A break-glass grant ends at most maxBreakGlassHours after it began, however often it is
 * extended: more than that is an ordinary grant, asked for through approval. Throws GRANT_TOO_LONG.
 */
export function checkBreakGlassExtension(p: WorkspacePolicy, grant: Pick<Grant, 'grantedAt'>, until: Date): void {
  const max = maxBreakGlassHours(p);
  const last = new Date(grant.grantedAt.getTime() + max * 3600_000);
  if (until.getTime() > last.getTime()) {
    throw new DomainError(Codes.GRANT_TOO_LONG, `A break-glass grant lasts at most ${max}h from its start, extensions included: this one may run to ${last.toISOString().slice(0, 16).replace('T', ' ')} UTC at the latest. For longer, ask for a grant through approval.`);
  }
}

/** Minutes a break-glass grant may still be extended by (see checkBreakGlassExtension). */
export function breakGlassRoom(p: WorkspacePolicy, grant: Pick<Grant, 'grantedAt' | 'until'>): number {
  return Math.max(0, Math.floor((grant.grantedAt.getTime() + maxBreakGlassHours(p) * 3600_000 - grant.until.getTime()) / 60_000));
}

/** How a rule is named to people: "rule 2" (1-based, as a reader counts) or "the default rule". */
export const ruleName = (index: number | null): string => (index === null ? 'the default rule' : `rule ${index + 1}`);

/**
 * A required reason must be real text: at least MIN_REASON_LENGTH characters, letters among them
 * (".", "asdf" or "1234567890" is not a reason). Throws a DomainError saying what would do.
 */
export function checkReason(rule: Pick<MatchedRule, 'reasonRequired' | 'index'>, reason: string | null, what = 'This change'): void {
  if (!rule.reasonRequired) return;
  const text = (reason ?? '').trim();
  if (text.length < MIN_REASON_LENGTH || !/\p{L}/u.test(text)) {
    throw new DomainError(
      Codes.REASON_REQUIRED,
      `${what} needs a reason (${ruleName(rule.index)} of the workspace's policy): at least ${MIN_REASON_LENGTH} characters with letters in them, after the command, e.g. "… rotate the token after the vendor left".`,
    );
  }
}

export const maxBreakGlassHours = (p: WorkspacePolicy): number => p.maxBreakGlassHours ?? DEFAULT_MAX_BREAK_GLASS_HOURS;
export const breakGlassReviewHours = (p: WorkspacePolicy): number => p.breakGlassReviewHours ?? DEFAULT_BREAK_GLASS_REVIEW_HOURS;

/**
 * `breakglass` is allowed only where the matching rule says `breakGlass: true`, only for a role
 * for a time (a grant) of at most maxBreakGlassHours, and only with a real reason. Throws a
 * DomainError saying which of these was missing.
 */
export function checkBreakGlass(rule: MatchedRule, p: WorkspacePolicy, r: NewRequest, reason: string | null): void {
  if (!rule.breakGlass) {
    throw new DomainError(Codes.BREAK_GLASS_REFUSED, `Break-glass is not allowed for this change (${ruleName(rule.index)} of the workspace's policy does not allow it); ask for it without "breakglass" and it goes to approval.`);
  }
  const max = maxBreakGlassHours(p);
  const minutes = (r.kind === 'permission.role' || r.kind === 'techuser.role') ? r.params.minutes : undefined;
  if (minutes === undefined) {
    throw new DomainError(Codes.BREAK_GLASS_REFUSED, `Break-glass is always for a time: a role "for <duration>" of at most ${durationWords(max * 60)}, e.g. "ADMIN for 1h breakglass <reason>".`);
  }
  if (minutes > max * 60) {
    throw new DomainError(Codes.BREAK_GLASS_REFUSED, `Break-glass lasts at most ${durationWords(max * 60)} in this workspace; ask for less, or for the longer grant through approval.`);
  }
  checkReason({ reasonRequired: true, index: rule.index }, reason, 'Break-glass');
}

/** When a pending request under `rule` is escalated, or null when the rule never escalates. */
export function escalationDueAt(rule: Pick<MatchedRule, 'escalateAfterHours' | 'escalateTo'>, createdAt: Date): Date | null {
  if (rule.escalateAfterHours === null || rule.escalateTo.length === 0) return null;
  return new Date(createdAt.getTime() + rule.escalateAfterHours * 3600_000);
}

/**
 * Who a rule names as deciders at `now`: its approvers, and its escalateTo once the request has
 * been pending escalateAfterHours. Groups are left as S… ids for the caller to resolve.
 */
export function namedDeciders(rule: MatchedRule, createdAt: Date, now: Date): string[] {
  const due = escalationDueAt(rule, createdAt);
  return due && now.getTime() >= due.getTime() ? [...new Set([...rule.approvers, ...rule.escalateTo])] : rule.approvers;
}

/** What the request records of its rule at submit: which rule, so its messages can say so. */
export interface RequestRule {
  index: number | null;
  approvals: number;
  approvers: string[];
  /** An extension's second rule (MatchedRule.also): its deciders must be named by both. */
  also?: { index: number | null; approvers: string[] };
}
export const requestRule = (m: MatchedRule): RequestRule => ({
  index: m.index, approvals: m.approvals, approvers: m.approvers,
  ...(m.also ? { also: { index: m.also.index, approvers: m.also.approvers } } : {}),
});
