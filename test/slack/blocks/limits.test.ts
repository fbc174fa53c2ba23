/**
 * Every builder of src/slack/blocks, fed the worst text people can type, stays within what Slack
 * accepts (and what the fake Slack refuses, test/helpers/fake-slack-limits.ts): 3,000 characters
 * a section, 2,000 a context element, 150 a header or placeholder, 75 a button or option, 24 a
 * modal title, 50 blocks a message, 100 a view, 40,000 characters of a message's text; and no
 * typed mention comes out live. The builders are found from the modules' exports: a new export
 * that is neither exercised here nor named as a fragment fails the first test.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { GrantView } from '../../../src/app/grants.js';
import type { HomeWorkspace } from '../../../src/app/home.js';
import type { PermissionView } from '../../../src/app/permissions.js';
import type { HistoryEntry } from '../../../src/domain/history.js';
import type { OwnershipRecord } from '../../../src/domain/ownership-review.js';
import type { ChangeRequest, NewRequest } from '../../../src/domain/request.js';
import type { TechnicalUser } from '../../../src/domain/technical-user.js';
import { DEFAULT_POLICY, type Workspace } from '../../../src/domain/workspace.js';
import type { ReviewerPage } from '../../../src/app/access-review-decisions.js';
import type { CampaignStatus } from '../../../src/app/access-reviews.js';
import type { Campaign, CampaignItem } from '../../../src/domain/access-review.js';
import { PAGE_SIZE, reviewHomeBlocks, reviewModal } from '../../../src/slack/blocks/access-review-pages.js';
import { reviewerDm, statusText } from '../../../src/slack/blocks/access-reviews.js';
import { subjectText } from '../../../src/slack/blocks/identity.js';
import { DRIFT_LINES_PER_MESSAGE, DRIFT_LISTED, driftDigestBlocks, driftListText, driftNowBlocks } from '../../../src/slack/blocks/drift.js';
import { expiryDigestBlocks } from '../../../src/slack/blocks/expiry-digest.js';
import { grantExtendForm, permissionRoleForm, rejectForm, techuserCreateForm } from '../../../src/slack/blocks/forms.js';
import { grantButtons, grantEndedText, grantsListText, homeGrantBlock } from '../../../src/slack/blocks/grants.js';
import { homeView } from '../../../src/slack/blocks/home.js';
import { permissionListPage } from '../../../src/slack/blocks/permissions.js';
import { LIST_PAGE_SIZE, MAX_LIST_QUERY } from '../../../src/slack/permission-pages.js';
import { noPersonOptions, personOptions } from '../../../src/slack/blocks/people.js';
import { optionsAnswerError } from '../../helpers/options-limits.js';
import { breakGlassReviewBlocks, breakGlassUnreviewedText, breakGlassUsedText, escalationText } from '../../../src/slack/blocks/policy.js';
import { approvalRequestBlocks, reminderText, requestText, requesterDmBlocks, requesterText } from '../../../src/slack/blocks/request.js';
import { reviewKeptText, reviewOverdueText, reviewQuestionBlocks, techuserOwnerForm } from '../../../src/slack/blocks/reviews.js';
import { expiryWarningBlocks, historyText, leanixChangelogText, revealBlocks, revealedBlocks, techUserListText } from '../../../src/slack/blocks/techusers.js';
import { typed } from '../../../src/slack/blocks/typed.js';
import { renderMrkdwn } from '../../helpers/mrkdwn.js';
import { blockKitError } from '../../helpers/fake-slack-limits.js';

// ---- worst-case typed text ----------------------------------------------------------------------

/** Each piece grows most when escaped (`_` to 24 characters, `&` to 5) or tries to act as markup. */
const EVIL = ['_'.repeat(150), '<!channel>', '&'.repeat(3000), '<@UEVIL1> <!subteam^SEVIL1> <!here>', '*b* ~s~ `c`', '<https://x.example|y>'];
const evilText = (n: number) => EVIL.join(' ').repeat(Math.ceil(n / 3300)).slice(0, n);
const U = '_'.repeat(150);
/** The longest forms of what people type: free text (Slack's command text is 4,000), emails (254), usernames (64), labels (64). */
const TEXT = evilText(4000);
const EMAIL = `${'a_&<'.repeat(60)}@x.de`.slice(-254);
const USERNAME = `a${'_'.repeat(63)}`;
const LABEL = `a${'_'.repeat(63)}`;
const LABELS = Array.from({ length: 50 }, () => LABEL);

const NOW = new Date('2030-01-01T10:00:00.000Z');
const LATER = new Date('2030-01-05T10:00:00.000Z');
const ID = '3f2b8c1e-7a4d-4e5f-9b6a-0c1d2e3f4a5b';

const ws: Workspace = {
  id: 'ws-1', name: `mesh_lab ${'_'.repeat(100)}`, slack: { teamId: 'T1', approvalsChannel: 'CAPPROVALS', notificationChannels: ['CNOTE'] },
  admins: ['UADMIN'], approvers: ['UA1', 'UA2'], policy: { ...DEFAULT_POLICY },
};

const PARAMS: NewRequest[] = [
  { kind: 'permission.role', params: { email: EMAIL, role: 'ADMIN' } },
  { kind: 'permission.role', params: { email: EMAIL, role: 'ADMIN', minutes: 60 } },
  { kind: 'permission.archive', params: { email: EMAIL } },
  { kind: 'permission.activate', params: { email: EMAIL } },
  { kind: 'permission.invite', params: { email: EMAIL, role: 'VIEWER' } },
  { kind: 'permission.extend', params: { email: EMAIL, grantId: ID, minutes: 240 } },
  { kind: 'techuser.create', params: { userName: USERNAME, role: 'MEMBER', expiry: '2030-06-01', description: TEXT, customerRoles: LABELS, accessControlEntities: LABELS } },
  { kind: 'techuser.create', params: { userName: USERNAME, role: 'MEMBER', expiry: '2030-06-01', description: U, customerRoles: [], accessControlEntities: [] } },
  { kind: 'techuser.rotate', params: { userName: USERNAME } },
  { kind: 'techuser.expiry', params: { userName: USERNAME, expiry: TEXT } },
  { kind: 'techuser.role', params: { userName: USERNAME, role: 'ADMIN', minutes: 1440 } },
  { kind: 'techuser.extend', params: { userName: USERNAME, grantId: ID, minutes: 60 } },
  { kind: 'techuser.delete', params: { userName: USERNAME } },
  { kind: 'techuser.owner', params: { userName: USERNAME, owner: 'UNEW' } },
  { kind: 'techuser.update', params: { userName: USERNAME, description: TEXT, customerRoles: LABELS, accessControlEntities: LABELS } },
] as NewRequest[];

const STATUSES = ['PENDING', 'APPROVED', 'APPLIED', 'FAILED', 'REJECTED', 'EXPIRED', 'CANCELLED'] as const;

const request = (p: NewRequest, status: ChangeRequest['status'], over: Partial<ChangeRequest> = {}): ChangeRequest => ({
  id: ID, workspaceId: 'ws-1', ...p, requester: 'UADMIN', reason: TEXT, status,
  approvals: status === 'PENDING' ? [] : [{ by: 'UA1', at: NOW }, { by: 'UA2', at: NOW }], decidedBy: status === 'PENDING' ? null : 'UA1', decidedAt: null,
  createdAt: NOW, expiresAt: LATER, slack: { channel: 'CAPPROVALS', ts: '1.2' }, outcome: status === 'PENDING' ? null : TEXT, appliedAt: null, notifiedAt: null, version: 1,
  rule: { index: 0, approvals: 2, approvers: Array.from({ length: 30 }, (_, i) => `U${i}XY`) },
  ...over,
} as ChangeRequest);
const REQUESTS: ChangeRequest[] = PARAMS.flatMap((p) => STATUSES.map((s) => request(p, s)));
const BREAK_GLASS = request(PARAMS[1]!, 'APPLIED', { breakGlass: { verdict: null, reviewedBy: null } } as Partial<ChangeRequest>);

const tu = (i: number): TechnicalUser => ({
  id: `tu-${i}`, workspaceId: 'ws-1', userName: `${USERNAME.slice(0, 60)}${i}`, description: evilText(500), role: 'MEMBER',
  customerRoles: LABELS, accessControlEntities: LABELS, createdAt: NOW, version: 1, lastRequestId: null,
  token: { hash: 'h', lastFour: 'abcd', createdAt: NOW, expiresAt: LATER, revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null },
} as TechnicalUser);
const USERS = Array.from({ length: 80 }, (_, i) => tu(i));
const owner = (t: TechnicalUser, who: string | null): OwnershipRecord => ({
  id: t.id, workspaceId: 'ws-1', userName: t.userName, owner: who, ownerSource: 'seed', periodStart: NOW, stage: 'asked',
  askedAt: NOW, escalatedAt: null, nextAt: null, lastReviewedAt: null, lastReviewedBy: null, lastUsedAt: NOW, deleteRequestId: null, version: 1,
} as unknown as OwnershipRecord);
const OWNERS = new Map(USERS.map((t) => [t.id, owner(t, 'UOWNER')]));

const grant = (i: number): GrantView => ({
  subject: { type: i % 2 ? 'permission' : 'technicalUser', id: `s-${i}`, label: i % 2 ? EMAIL : USERNAME } as GrantView['subject'],
  grant: { requestId: `${ID.slice(0, 30)}${i}`, requester: 'UADMIN', role: 'ADMIN', revertTo: 'MEMBER', grantedAt: NOW, until: LATER },
});
const GRANTS = Array.from({ length: 101 }, (_, i) => grant(i));

const entry = (i: number): HistoryEntry => ({
  id: `h-${i}`, workspaceId: 'ws-1', subject: { type: 'technicalUser', id: 'tu-1', label: USERNAME }, action: 'techuser.update',
  actor: { type: 'slack', id: 'UADMIN' }, requestId: ID, approvers: ['UA1', 'UA2'],
  before: { description: evilText(500), customerRoles: LABELS }, after: { description: evilText(500), customerRoles: LABELS }, reason: TEXT, at: NOW,
});
const HISTORY = Array.from({ length: 60 }, (_, i) => entry(i));
/** Drift lines as the sync writes them: labels and values from LeanIX are typed text too. */
const driftEntry = (i: number): HistoryEntry => ({
  ...entry(i), subject: { type: i % 2 ? 'permission' : 'technicalUser', id: `s-${i}`, label: i % 2 ? EMAIL : USERNAME },
  action: i % 2 ? 'permission.changed_outside' : 'techuser.changed_outside', actor: { type: 'leanix' },
  before: { role: 'MEMBER', customerRoles: LABELS, description: evilText(800) }, after: { role: 'ADMIN', customerRoles: [...LABELS, TEXT], description: evilText(800) },
} as HistoryEntry);
const DRIFT = Array.from({ length: DRIFT_LINES_PER_MESSAGE }, (_, i) => driftEntry(i));
/** Access reviews: names and emails as long as they come, every item with an origin and a grant. */
const CAMPAIGN = {
  id: ID, workspaceId: 'ws-1', name: `q_${'_'.repeat(60)}`, period: 1, status: 'OPEN', openKey: 'ws-1:q', reviewers: Array.from({ length: 40 }, (_, i) => `U${i}REV`),
  definition: { roles: ['ADMIN'], statuses: ['ACTIVE'], reviewers: [], dueDays: 14, unreviewed: 'downgrade:VIEWER' },
  startedBy: 'UADMIN', startedAt: NOW, dueAt: LATER, ready: false, itemCount: 5000, closedAt: null, closedBy: null,
} as unknown as Campaign;
const item = (i: number): CampaignItem => ({
  id: `${ID}/p${i}`, campaignId: ID, workspaceId: 'ws-1', seq: i + 1, permissionId: `p${i}`, userId: `u${i}`, email: EMAIL, name: evilText(300),
  role: 'ADMIN', status: 'ACTIVE', lastLogin: NOW, origin: { at: NOW, requestId: ID, requester: 'UADMIN', approvers: Array.from({ length: 30 }, (_, k) => `U${k}APP`) },
  grant: { until: LATER, requestId: ID }, decision: null, version: 1,
} as CampaignItem);
const PAGE: ReviewerPage = { campaign: CAMPAIGN, workspace: ws, items: Array.from({ length: PAGE_SIZE }, (_, i) => item(i)), afterSeq: 20, nextAfterSeq: 40, left: 4999 };
const STATUS = (n: number): CampaignStatus[] => Array.from({ length: n }, () => ({
  campaign: CAMPAIGN, counts: { total: 5000, keep: 1, change: 2, archive: 3, unreviewed: 4, undecided: 4990 }, selfOnly: EMAIL,
} as unknown as CampaignStatus));
const CHANGELOG = Array.from({ length: 100 }, () => ({ type: evilText(300), at: NOW, actor: EMAIL }));

const VIEWS: PermissionView[] = Array.from({ length: 200 }, (_, i) => ({
  user: { email: EMAIL, firstName: evilText(200), lastName: evilText(200) },
  permission: { role: 'MEMBER', status: 'ACTIVE' },
} as unknown as PermissionView));

const home = (isApprover: boolean, isAdmin: boolean): HomeWorkspace => ({
  workspace: ws, isAdmin, isApprover, pending: REQUESTS.filter((r) => r.status === 'PENDING'), pendingMore: true, mine: REQUESTS,
  technicalUsers: USERS, technicalUsersMore: true, grants: GRANTS.slice(0, 20), grantsTotal: 101, owners: OWNERS,
});
const META = { workspaceId: 'ws-1', responseUrl: 'https://hooks.slack.com/x' } as never;

// ---- what each builder is run with ----------------------------------------------------------------

type Out = unknown;
/** Every builder, with the worst inputs it can get. */
const CASES: Record<string, () => Out[]> = {
  approvalRequestBlocks: () => [...REQUESTS, BREAK_GLASS].map((r) => approvalRequestBlocks(r, ws)),
  requestText: () => REQUESTS.map((r) => requestText(r, ws)),
  requesterText: () => REQUESTS.map((r) => requesterText(r, ws)),
  requesterDmBlocks: () => REQUESTS.map((r) => requesterDmBlocks(r, ws, revealBlocks(USERNAME, r.id, LATER))),
  reminderText: () => REQUESTS.map((r) => reminderText(r, ws, NOW)),
  rejectForm: () => REQUESTS.map((r) => rejectForm(r, META)),
  techuserCreateForm: () => [techuserCreateForm(ws, META, NOW)],
  permissionRoleForm: () => [permissionRoleForm(ws, META)],
  grantExtendForm: () => [grantExtendForm(TEXT, GRANTS[0]!.grant, 100_000, META)],
  grantEndedText: () => REQUESTS.flatMap((r) => [grantEndedText(r, ws, { how: 'expired' }, 'MEMBER'), grantEndedText(r, ws, { how: 'ended', by: 'UA1' }, 'MEMBER')]),
  grantButtons: () => [[grantButtons(ID)]],
  grantsListText: () => [grantsListText(ws, GRANTS, NOW)],
  homeGrantBlock: () => [[homeGrantBlock(GRANTS[0]!, NOW)]],
  homeView: () => [homeView([home(true, true), home(true, false), home(false, true)], 'UA1', NOW, typed(TEXT)), homeView([], 'UX', NOW)],
  permissionListPage: () => [
    // A full page of the worst emails and names, the longest query, in the middle of 10,000 (both buttons).
    permissionListPage(ws, { views: VIEWS.slice(0, LIST_PAGE_SIZE), total: 10_000, page: 2, pages: 500, filter: { query: TEXT.slice(0, MAX_LIST_QUERY), status: 'ACTIVE' } }, NOW),
    permissionListPage(ws, { views: VIEWS.slice(0, 3), total: 3, page: 1, pages: 1, filter: {} }, 'never'),
    permissionListPage(ws, { views: [], total: 0, page: 1, pages: 1, filter: { query: TEXT.slice(0, MAX_LIST_QUERY) } }),
  ],
  personOptions: () => [
    personOptions({ people: Array.from({ length: 150 }, (_, i) => ({ userId: `${ID.slice(0, 30)}${i}`, email: EMAIL, firstName: evilText(200), lastName: evilText(200), userName: U, note: 'MEMBER, ACTIVE' })), total: 10_000 }),
    personOptions({ people: [{ userId: ID, email: 'a@x.de', firstName: '', lastName: '', userName: '', note: 'VIEWER, INVITED' }], total: 1 }),
  ],
  noPersonOptions: () => [noPersonOptions()],
  breakGlassReviewBlocks: () => [breakGlassReviewBlocks(BREAK_GLASS)],
  breakGlassUsedText: () => REQUESTS.map((r) => breakGlassUsedText(r, ws)),
  breakGlassUnreviewedText: () => REQUESTS.map((r) => breakGlassUnreviewedText(r, ws, 5)),
  escalationText: () => REQUESTS.map((r) => escalationText(r, Array.from({ length: 50 }, (_, i) => `U${i}ZZ`))),
  reviewQuestionBlocks: () => [true, false].flatMap((again) => [reviewQuestionBlocks(ws, owner(tu(1), 'UO'), tu(1), NOW, again), reviewQuestionBlocks(ws, owner(tu(1), null), { ...tu(1), description: U.repeat(2) }, NOW, again)]),
  reviewOverdueText: () => [reviewOverdueText(ws, owner(tu(1), 'UO'), tu(1), NOW)],
  reviewKeptText: () => [reviewKeptText(tu(1), 'UO', LATER)],
  techuserOwnerForm: () => [techuserOwnerForm(ws, tu(1), 'UO', META)],
  techUserListText: () => [techUserListText(ws, USERS, NOW, OWNERS), techUserListText(ws, USERS.slice(0, 3), NOW)],
  historyText: () => [historyText(USERNAME, HISTORY)],
  revealBlocks: () => [revealBlocks(USERNAME, ID, LATER)],
  revealedBlocks: () => [revealedBlocks(USERNAME, NOW)],
  expiryWarningBlocks: () => [0, 7].map((d) => expiryWarningBlocks(ws, tu(1), d, NOW)),
  expiryDigestBlocks: () => [expiryDigestBlocks(ws, USERS.slice(0, 24).map((t) => ({ tu: t, days: 3 })), NOW)],
  driftNowBlocks: () => [driftNowBlocks(ws, DRIFT)],
  reviewModal: () => [reviewModal(PAGE, typed(TEXT)), reviewModal({ ...PAGE, items: [], nextAfterSeq: null, left: 0 })],
  reviewHomeBlocks: () => [{ type: 'home', blocks: reviewHomeBlocks([PAGE, PAGE, PAGE]) }],
  reviewerDm: () => (['ask', 'half', 'dayBefore'] as const).map((step) => reviewerDm(ws, CAMPAIGN, step, 5000)),
  statusText: () => [statusText(ws, STATUS(100)), statusText(ws, [])],
  subjectText: () => REQUESTS.map((r) => subjectText(r, ws, LATER)),
  driftDigestBlocks: () => [driftDigestBlocks(ws, '2030-01-01', DRIFT, 2, 3)],
  driftListText: () => [driftListText(ws, DRIFT.concat(DRIFT).slice(0, DRIFT_LISTED), 1, true, NOW), driftListText(ws, [], 1, false, null)],
  leanixChangelogText: () => [leanixChangelogText(CHANGELOG), leanixChangelogText(TEXT), leanixChangelogText([])],
};

/**
 * Exports that are not whole messages: pieces that the builders above put into a message (and
 * clip with it), the helpers of typed.ts themselves, and constants.
 */
const FRAGMENTS = new Set([
  'describeRequest', 'statusLine', 'requestPeople', 'outcomeText', 'shortId', 'requesterMention', 'grantLine', 'slackTime', 'utcDatesAsSlack',
  'fromWhom', 'needsLine', 'noApprovalLine', 'lastUsedText', 'ownerText', 'reviewBadge', 'durationOptions', 'defaultExpiry',
  'typed', 'typedList', 'plainWithMentions', 'clipMrkdwn', 'typedClipped', 'mrkdwn', 'section', 'context', 'plainText',
  'header', 'messageText', 'linesWithin', 'driftLine', 'requestedBy', 'itemText', 'itemBlocks', 'slackDay',
]);

// ---- the limits -------------------------------------------------------------------------------------

const LIMIT = { section: 3000, context: 2000, header: 150, placeholder: 150, button: 75, option: 75, title: 24, label: 2000, message: 40_000 };

/** Every way `out` breaks a limit, as readable lines (empty: none). */
function problems(name: string, out: Out): string[] {
  const found: string[] = [];
  const over = (where: string, text: unknown, max: number) => {
    if (typeof text !== 'string') return;
    if (text.length > max) found.push(`${name}: ${where} has ${text.length} characters (at most ${max})`);
    if (text.length === 0) found.push(`${name}: ${where} is empty`);
  };
  const liveTyped = (text: string) => {
    for (const l of renderMrkdwn(text).live) {
      if (l.startsWith('<') && /EVIL|!channel|!here|x\.example/.test(l)) found.push(`${name}: typed markup is live: ${l}`);
    }
  };
  const walkText = (where: string, t: any, max: number) => {
    if (!t) return;
    over(where, t.text, max);
    if (t.type === 'mrkdwn' && typeof t.text === 'string') liveTyped(t.text);
  };
  const walkElement = (e: any) => {
    if (!e) return;
    if (e.type === 'button') walkText('a button', e.text, LIMIT.button);
    for (const o of e.options ?? []) walkText('an option', o.text, LIMIT.option);
    if ((e.options?.length ?? 0) > 100) found.push(`${name}: a select has ${e.options.length} options`);
    walkText('a placeholder', e.placeholder, LIMIT.placeholder);
  };
  const walkBlocks = (blocks: any[], max: number) => {
    if (blocks.length > max) found.push(`${name}: ${blocks.length} blocks (at most ${max})`);
    for (const b of blocks) {
      if (b.type === 'section') {
        walkText('a section', b.text, LIMIT.section);
        for (const f of b.fields ?? []) walkText('a section field', f, 2000);
        walkElement(b.accessory);
      } else if (b.type === 'context') {
        if (b.elements.length > 10) found.push(`${name}: a context has ${b.elements.length} elements`);
        for (const e of b.elements) walkText('a context element', e, LIMIT.context);
      } else if (b.type === 'header') {
        walkText('a header', b.text, LIMIT.header);
      } else if (b.type === 'actions') {
        for (const e of b.elements) walkElement(e);
      } else if (b.type === 'input') {
        walkText('an input label', b.label, LIMIT.label);
        walkText('an input hint', b.hint, LIMIT.label);
        walkElement(b.element);
      }
    }
  };
  const walk = (o: any) => {
    if (typeof o === 'string') {
      over('the message text', o, LIMIT.message);
      liveTyped(o);
    } else if (Array.isArray(o)) {
      walkBlocks(o, 50);
    } else if (o?.type === 'modal' || o?.type === 'home') {
      walkBlocks(o.blocks, 100);
      for (const k of ['title', 'submit', 'close']) walkText(`the modal ${k}`, o[k], LIMIT.title);
      const err = blockKitError('views.open', { view: o });
      if (err) found.push(`${name}: the fake Slack refuses the view: ${err}`);
    } else if (o?.options || o?.option_groups) {
      // An options answer (block_suggestion): what Slack accepts of one, as the fake Slack checks it.
      const err = optionsAnswerError(200, 0, o);
      if (err) found.push(`${name}: Slack would refuse the options: ${err}`);
    } else if (o?.blocks) {
      walk(o.text);
      walkBlocks(o.blocks, 50);
    } else {
      found.push(`${name}: returned something this test cannot read`);
    }
    if (Array.isArray(o) || (o?.blocks && o.type === undefined)) {
      const err = blockKitError('chat.postMessage', Array.isArray(o) ? { blocks: o } : o);
      if (err) found.push(`${name}: the fake Slack refuses the message: ${err}`);
    }
  };
  walk(out);
  return found;
}

// ---- the tests ------------------------------------------------------------------------------------

const dir = fileURLToPath(new URL('../../../src/slack/blocks/', import.meta.url));

describe('every Block Kit builder within Slack\'s limits', () => {
  it('knows every exported builder of src/slack/blocks', async () => {
    const unknown: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(`${dir}${file}`)) as Record<string, unknown>;
      for (const [name, v] of Object.entries(mod)) {
        if (typeof v === 'function' && !(name in CASES) && !FRAGMENTS.has(name)) unknown.push(`${file}: ${name}`);
      }
    }
    expect(unknown, 'a builder without a case here: add it to CASES with its worst input (or to FRAGMENTS if it is a piece of one)').toEqual([]);
  });

  for (const [name, run] of Object.entries(CASES)) {
    it(`${name}: worst-case typed input stays within the limits and shows no typed markup`, () => {
      expect(run().flatMap((out) => problems(name, out))).toEqual([]);
    });
  }

  it('cuts long lists at whole lines and says how many were left out', () => {
    const list = techUserListText(ws, USERS, NOW, OWNERS);
    expect(list.length).toBeLessThanOrEqual(40_000);
    expect(list).toMatch(/…and \d+ more that do not fit in one message\.$/);
    expect(historyText(USERNAME, HISTORY)).toMatch(/…and \d+ older entries/);
    const page = permissionListPage(ws, { views: VIEWS.slice(0, LIST_PAGE_SIZE), total: 10_000, page: 2, pages: 500, filter: {} });
    expect(JSON.stringify(page.blocks).split('• ').length - 1).toBe(LIST_PAGE_SIZE); // every line of the page, none cut
    expect(JSON.stringify(page.blocks).length + page.text.length).toBeLessThan(40_000);
  });
});
