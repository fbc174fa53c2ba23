/**
 * A local fake of the Slack Web API (plus response_url endpoints) that records
 * every request it receives.
 *
 *   const slack = await FakeSlack.start();
 *   new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl });   // or SLACK_API_URL
 *   const call = await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C1');
 *   await slack.stop();
 *
 * Every request is recorded, including ones answered with an injected failure,
 * so retries show up as several calls. Arguments are decoded the way the app
 * sent them: WebClient posts x-www-form-urlencoded with object-valued args as
 * JSON strings; `blocks`, `attachments` and `view` are parsed back to objects.
 * The token (Authorization header or `token` field) is kept apart from args.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { blockKitError, RateLimiter, SLACK_LIMITS, type SlackLimits } from './fake-slack-limits.js';

export interface SlackCall {
  /** Web API method, e.g. 'chat.postMessage', or 'response_url'. */
  method: string;
  args: Record<string, any>;
  token?: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** True when the fake answered this call with a failure (failNext, a limit), i.e. it was not delivered. */
  failed?: boolean;
  /** Set when the call was refused with 429 by the rate limits (`limits` option): its Retry-After. */
  limited?: number;
  /** The fake's successful answer (e.g. the `ts` of a posted message). */
  result?: Record<string, unknown>;
}

export interface FakeSlackOptions {
  /** Enforce Slack's rate limits: `true` for the published ones, or limits of a test's own. */
  limits?: boolean | SlackLimits;
}

/**
 * How to answer the next call(s) to a method:
 * - `status`: answer with that HTTP status (429 + `retryAfter` sets Retry-After);
 * - otherwise `error`: HTTP 200 with `{ ok: false, error }`;
 * - neither: just a normal, successful answer after `delayMs` (a slow call).
 */
export interface FailureSpec {
  status?: number; error?: string; retryAfter?: number; times?: number; delayMs?: number;
  /** Only calls whose args match (others pass untouched): a test's own call among those still running. */
  match?: (args: Record<string, any>) => boolean;
}

interface Waiter { method: string; predicate: (c: SlackCall) => boolean; resolve: (c: SlackCall) => void }

/** Args that WebClient JSON-encodes and tests want to inspect as objects. */
const JSON_ARGS = ['blocks', 'attachments', 'view'];

export class FakeSlack {
  readonly calls: SlackCall[] = [];
  /** Workflow steps completed (functions.completeSuccess / completeError), by function execution id. */
  readonly completedSteps = new Map<string, { outputs?: unknown; error?: unknown }>();
  /** User groups and their members, as usergroups.users.list answers (an unknown id: no_such_subteam). */
  readonly groups = new Map<string, string[]>();
  /** Archived channels: chat.postMessage and chat.update there are refused with is_archived, as Slack does. */
  readonly archived = new Set<string>();
  /**
   * Slack users and their emails, as users.info and users.lookupByEmail answer. A user id not set
   * here answers users.info with `<id in lower case>@example.com` (so every caller of users.info
   * gets someone); `null` answers user_not_found. lookupByEmail finds only the users set here.
   */
  readonly people = new Map<string, string | null>();
  private readonly failures = new Map<string, { spec: FailureSpec; left: number }[]>();
  private waiters: Waiter[] = [];
  private tsCounter = 0;

  /**
   * Which Slack workspace a call counts against, for the limits: a call's channel (or DM user) named
   * here, else its token's workspace, else T1. Slack knows this from the channel and the token.
   */
  readonly channelTeams = new Map<string, string>();
  readonly tokenTeams = new Map<string, string>();

  /**
   * OAuth (installable mode): codes Slack would hand the redirect (authorizeCode), and the
   * rotating tokens oauth.v2.access issues for them. A refresh token works once: the refresh
   * answers new access and refresh tokens, and the old refresh token is refused from then on.
   */
  private readonly codes = new Map<string, { teamId: string | null; enterpriseId: string | null; orgWide: boolean }>();
  private readonly refreshTokens = new Map<string, { teamId: string | null; enterpriseId: string | null; orgWide: boolean }>();
  private tokenSeq = 0;
  /** Seconds a bot token issued by oauth.v2.access lasts (Slack's: 12 hours). */
  tokenLifetimeSeconds = 43_200;
  /**
   * The bot tokens oauth.v2.access issued, and whose installation each is (a Slack workspace's
   * id, or an organisation's for an org-wide one). A token of an installation that was removed
   * (uninstalled) answers `token_revoked`; a token that looks like one of these but was never
   * issued answers `invalid_auth`, as Slack does. Other tokens (a test's fixed SLACK_BOT_TOKEN) pass.
   */
  readonly issued = new Map<string, { owner: string; revoked: boolean }>();
  /** Users who belong to one Slack workspace (installable mode): users.lookupByEmail finds them only there. */
  readonly userTeams = new Map<string, string>();
  /** The client id and secret oauth.v2.access takes (an exchange with others answers invalid_client_id / bad_client_secret). */
  client: { id: string; secret: string } | null = null;

  /** A code the OAuth redirect will carry after someone approves the install on `teamId` (or, org-wide, on `enterpriseId`). */
  authorizeCode(code: string, to: { teamId?: string; enterpriseId?: string; orgWide?: boolean }): void {
    this.codes.set(code, { teamId: to.orgWide ? null : (to.teamId ?? null), enterpriseId: to.enterpriseId ?? null, orgWide: to.orgWide === true });
  }

  /**
   * The app is removed from `owner` (a Slack workspace, or an organisation installed org-wide):
   * its tokens stop working, and its refresh tokens. Send the event with appUninstalledBody.
   */
  uninstall(owner: string): void {
    for (const t of this.issued.values()) if (t.owner === owner) t.revoked = true;
    for (const [refresh, g] of this.refreshTokens) if ((g.orgWide ? g.enterpriseId : g.teamId) === owner) this.refreshTokens.delete(refresh);
  }

  /** Why Slack refuses `token` on a Web API method (null: it may call). */
  private authError(method: string, token: string | undefined): string | null {
    if (method === 'oauth.v2.access' || method === 'response_url' || token === undefined) return null;
    const t = this.issued.get(token);
    if (t) return t.revoked ? 'token_revoked' : null;
    return token.startsWith('xoxe.') ? 'invalid_auth' : null;
  }

  /** The rate limits in force (none unless started with `limits`). */
  readonly limiter: RateLimiter | null;

  private constructor(private readonly server: Server, readonly baseUrl: string, o: FakeSlackOptions) {
    this.limiter = o.limits ? new RateLimiter(o.limits === true ? SLACK_LIMITS : o.limits) : null;
  }

  static async start(o: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, `http://127.0.0.1:${port}`, o);
    server.on('request', (req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        // A bug in the fake should be loud, not a hanging test.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`FakeSlack error: ${err instanceof Error ? err.stack : String(err)}`);
      });
    });
    return fake;
  }

  /** Base URL for WebClient's `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** A response_url this fake accepts; posts to it are recorded as method 'response_url'. */
  responseUrl(id = 'r1'): string {
    return `${this.baseUrl}/respond/${encodeURIComponent(id)}`;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The calls to a method that Slack took (neither limited nor failed). */
  delivered(method: string, predicate: (c: SlackCall) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === method && !c.failed && predicate(c));
  }

  /** Resolves with the first matching call, whether already recorded or still to come. */
  waitFor(method: string, predicate: (c: SlackCall) => boolean = () => true, timeoutMs = 5000): Promise<SlackCall> {
    const seen = this.calls.find((c) => c.method === method && predicate(c));
    if (seen) return Promise.resolve(seen);
    return new Promise<SlackCall>((resolve, reject) => {
      const waiter: Waiter = {
        method,
        predicate,
        resolve: (c) => { clearTimeout(timer); resolve(c); },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const sameMethod = this.callsTo(method).length;
        const recorded = this.calls.map((c) => c.method).join(', ') || '(none)';
        reject(new Error(
          `FakeSlack.waitFor('${method}') timed out after ${timeoutMs}ms` +
            (sameMethod ? ` (${sameMethod} call(s) to it did not match the predicate)` : '') +
            `; recorded calls: ${recorded}`,
        ));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  failNext(method: string, spec: FailureSpec): void {
    const queue = this.failures.get(method) ?? [];
    queue.push({ spec, left: spec.times ?? 1 });
    this.failures.set(method, queue);
  }

  /** Forget recorded calls and pending failure specs (ts numbering keeps increasing). */
  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections(); // fetch keeps connections alive
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The Slack workspace a call counts against (see channelTeams). */
  teamOf(token: string | undefined, args: Record<string, any>): string {
    const where = String(args.channel ?? args.user_id ?? args.users ?? '');
    return this.channelTeams.get(where) ?? (token !== undefined ? this.tokenTeams.get(token) : undefined) ?? 'T1';
  }

  /** Unique, increasing message timestamps like Slack's: '1700000000.000001'. */
  private nextTs(): string {
    return `1700000000.${String(++this.tsCounter).padStart(6, '0')}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const route = /^\/(api|respond)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`FakeSlack: no route for ${req.method} ${url.pathname}`);
      return;
    }
    const args = parseBody(String(req.headers['content-type'] ?? ''), await readBody(req));
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = auth ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;

    let method = decodeURIComponent(route[2]!);
    if (route[1] === 'respond') {
      args.responseId = method;
      method = 'response_url';
    }
    const refused = this.authError(method, token);
    if (refused) {
      this.record({ method, args, at: Date.now(), failed: true, ...(token !== undefined && { token }) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: refused }));
      return;
    }
    const retryAfter = this.limiter?.take(method, args, this.teamOf(token, args)) ?? null;
    if (retryAfter !== null) {
      this.record({ method, args, at: Date.now(), failed: true, limited: retryAfter });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfter) }).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const blockError = blockKitError(method, args);
    if (blockError) {
      this.record({ method, args, at: Date.now(), failed: true });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: blockError }));
      return;
    }
    if ((method === 'chat.postMessage' || method === 'chat.update') && this.archived.has(String(args.channel ?? ''))) {
      this.record({ method, args, at: Date.now(), failed: true });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'is_archived' }));
      return;
    }
    const failure = this.takeFailure(method, args);
    const fails = failure !== undefined && (failure.status !== undefined || failure.error !== undefined);
    const call: SlackCall = { method, args, at: Date.now(), ...(token !== undefined && { token }), ...(fails && { failed: true }) };
    this.record(call);

    if (failure?.delayMs) await sleep(failure.delayMs);
    if (failure?.status !== undefined) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.retryAfter !== undefined) headers['retry-after'] = String(failure.retryAfter);
      const error = failure.error ?? (failure.status === 429 ? 'ratelimited' : 'fake_http_error');
      res.writeHead(failure.status, headers).end(JSON.stringify({ ok: false, error }));
      return;
    }
    const body = failure?.error !== undefined ? { ok: false, error: failure.error } : this.answer(method, args, token);
    if (body.ok) call.result = body;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }

  private record(call: SlackCall): void {
    this.calls.push(call);
    for (const w of [...this.waiters]) {
      if (w.method === call.method && w.predicate(call)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(call);
      }
    }
  }

  private takeFailure(method: string, args: Record<string, any>): FailureSpec | undefined {
    const queue = this.failures.get(method);
    const i = queue?.findIndex((f) => !f.spec.match || f.spec.match(args)) ?? -1;
    const head = queue?.[i];
    if (!queue || !head) return undefined;
    if (--head.left <= 0) queue.splice(i, 1);
    return head.spec;
  }

  /** oauth.v2.access: a code's first exchange, or a refresh; tokens named after their Slack workspace. */
  private oauth(a: Record<string, any>): Record<string, unknown> {
    if (this.client && a.client_id !== this.client.id) return { ok: false, error: 'invalid_client_id' };
    if (this.client && a.client_secret !== this.client.secret) return { ok: false, error: 'bad_client_secret' };
    const grant = a.grant_type === 'refresh_token'
      ? this.refreshTokens.get(String(a.refresh_token ?? ''))
      : this.codes.get(String(a.code ?? ''));
    if (!grant) return { ok: false, error: a.grant_type === 'refresh_token' ? 'invalid_refresh_token' : 'invalid_code' };
    if (a.grant_type === 'refresh_token') this.refreshTokens.delete(String(a.refresh_token));
    else this.codes.delete(String(a.code));
    const owner = grant.orgWide ? grant.enterpriseId! : grant.teamId!;
    const n = ++this.tokenSeq;
    const access = `xoxe.xoxb-${owner}-${n}`;
    const refresh = `xoxe-1-${owner}-${n}`;
    this.refreshTokens.set(refresh, grant);
    this.tokenTeams.set(access, owner);
    this.issued.set(access, { owner, revoked: false });
    return {
      ok: true, app_id: 'AKEYWARDEN', authed_user: { id: 'UINSTALLER' }, scope: 'chat:write,commands', token_type: 'bot',
      access_token: access, refresh_token: refresh, expires_in: this.tokenLifetimeSeconds, bot_user_id: `UBOT${owner}`,
      team: grant.teamId ? { id: grant.teamId, name: grant.teamId } : null,
      enterprise: grant.enterpriseId ? { id: grant.enterpriseId, name: grant.enterpriseId } : null,
      is_enterprise_install: grant.orgWide,
    };
  }

  /** The canned successful answer for each method. */
  private answer(method: string, a: Record<string, any>, token?: string): Record<string, unknown> {
    const ok = true;
    switch (method) {
      case 'oauth.v2.access':
        return this.oauth(a);
      case 'auth.test': {
        // An issued token answers for its own installation.
        const owner = token !== undefined ? this.issued.get(token)?.owner : undefined;
        if (owner) return { ok, url: `https://${owner.toLowerCase()}.slack.com/`, team: owner, team_id: owner.startsWith('E') ? null : owner, user: 'keywarden', user_id: `UBOT${owner}`, bot_id: `B${owner}`, ...(owner.startsWith('E') && { enterprise_id: owner, is_enterprise_install: true }) };
        return { ok, url: 'https://keywarden-test.slack.com/', team: 'Keywarden Test', team_id: 'T1', user: 'keywarden', user_id: 'UBOT', bot_id: 'BBOT' };
      }
      case 'chat.postMessage': {
        const ts = this.nextTs();
        const channel = String(a.channel ?? '');
        // Posting to a user id opens (and answers with) the DM channel.
        return { ok, channel: channel.startsWith('U') ? `D${channel.slice(1)}` : channel, ts, message: { ...a, ts } };
      }
      case 'chat.update':
        return { ok, channel: a.channel, ts: a.ts, text: a.text };
      case 'chat.postEphemeral':
        return { ok, message_ts: this.nextTs() };
      case 'usergroups.users.list': {
        const members = this.groups.get(String(a.usergroup ?? ''));
        return members ? { ok, users: [...members] } : { ok: false, error: 'no_such_subteam' };
      }
      case 'conversations.open':
        return { ok, channel: { id: `D${String(a.users ?? '').slice(1)}` } };
      case 'users.info': {
        const id = String(a.user ?? '');
        const email = this.people.has(id) ? this.people.get(id) : `${id.toLowerCase()}@example.com`;
        if (email === null) return { ok: false, error: 'user_not_found' };
        return { ok, user: { id, name: id.toLowerCase(), real_name: `User ${id}`, profile: { email } } };
      }
      case 'users.lookupByEmail': {
        // Slack matches the email as its owner typed it, case-insensitively.
        // A user placed in a Slack workspace (userTeams) is found only with that installation's token.
        const want = String(a.email ?? '').toLowerCase();
        const caller = token !== undefined ? this.issued.get(token)?.owner : undefined;
        const id = [...this.people].find(([u, e]) => e?.toLowerCase() === want && (!this.userTeams.has(u) || this.userTeams.get(u) === caller))?.[0];
        return id ? { ok, user: { id, profile: { email: this.people.get(id) } } } : { ok: false, error: 'users_not_found' };
      }
      // A workflow step is completed once: success or error, then it is no longer running.
      case 'functions.completeSuccess':
      case 'functions.completeError': {
        const id = String(a.function_execution_id ?? '');
        if (!id) return { ok: false, error: 'invalid_arguments' };
        if (method === 'functions.completeSuccess' && (typeof a.outputs !== 'object' || a.outputs === null)) return { ok: false, error: 'parameter_validation_failed' };
        if (method === 'functions.completeError' && typeof a.error !== 'string') return { ok: false, error: 'invalid_arguments' };
        if (this.completedSteps.has(id)) return { ok: false, error: 'execution_not_in_running_state' };
        this.completedSteps.set(id, method === 'functions.completeSuccess' ? { outputs: a.outputs } : { error: a.error });
        return { ok };
      }
      case 'views.open':
      case 'views.publish':
      case 'views.update':
        return { ok, view: { id: 'V1', ...(a.view as object) } };
      default:
        return { ok };
    }
  }
}

// Events rather than `for await`: the async iterator was a third of this fake's CPU per call,
// and in `npm run bench` the fake shares the machine with the server it measures.
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(contentType: string, raw: string): Record<string, any> {
  let args: Record<string, any> = {};
  if (contentType.includes('application/json')) {
    args = raw ? (JSON.parse(raw) as Record<string, any>) : {};
  } else if (raw) {
    args = Object.fromEntries(new URLSearchParams(raw));
  }
  for (const key of JSON_ARGS) {
    if (typeof args[key] !== 'string') continue;
    try {
      args[key] = JSON.parse(args[key] as string);
    } catch {
      // Not JSON after all: leave it as sent so the test can see it.
    }
  }
  return args;
}
