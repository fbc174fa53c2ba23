/**
 * A fake SAP LeanIX MTM API on loopback, built from the documented shapes (docs/leanix.md):
 *
 *   const lx = await FakeLeanix.start({ clock });
 *   lx.data.addPermission({ email: 'ann@acme.test', role: 'VIEWER' });
 *   new LeanixClient({ baseUrl: lx.url, workspaceId: lx.workspaceId, apiToken: lx.apiToken, clock });
 *
 * Access tokens from POST /oauth2/token (Basic apitoken:<token>) that expire on the given clock
 * and die with their API token; paging with page (1-indexed) and size (default 30, at most 100);
 * the envelope; INVITED -> ACTIVE refused with a 400 and errors in the envelope; technical users
 * whose tokens really open access tokens here. Knobs for the faults tests need: fail the next N
 * calls, 429 with Retry-After, latency, hang, drop an answer after doing the work, change a record
 * "outside", revoke the API token, expire the access tokens. Every request is recorded in `calls`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Clock } from '../../src/app/ports.js';
import { FakeLeanixData, FakeRefusal, type Json } from './fake-leanix-data.js';

export interface FakeLeanixOptions { clock?: Clock; workspaceId?: string; tokenLifetimeSeconds?: number; latencyMs?: number }

export interface FakeCall { method: string; path: string; query: Record<string, string>; status: number | 'dropped' | 'hung'; at: number }

interface Fault { left: number; skip?: number; match: (c: { method: string; path: string }) => boolean }

const MTM = '/services/mtm/v1';

export class FakeLeanix {
  readonly calls: FakeCall[] = [];
  readonly data: FakeLeanixData;
  /** The ADMIN technical user's API token Keywarden connects with. */
  readonly apiToken = `fake_admin_${randomBytes(16).toString('base64url')}`;
  latencyMs: number;
  /** While true, every call (the token exchange too) answers 503: LeanIX is down. */
  down = false;
  private apiTokenRevoked = false;
  private readonly accessTokens = new Map<string, { expiresAt: number; apiToken: string }>();
  private readonly failures: Array<Fault & { status: number; retryAfter?: string; message?: string }> = [];
  private readonly drops: Fault[] = [];
  private readonly hangs: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly clock: Clock;
  private readonly lifetime: number;

  private constructor(private readonly server: Server, readonly url: string, readonly workspaceId: string, opts: FakeLeanixOptions) {
    this.clock = opts.clock ?? { now: () => new Date() };
    this.lifetime = opts.tokenLifetimeSeconds ?? 3599;
    this.latencyMs = opts.latencyMs ?? 0;
    this.data = new FakeLeanixData(workspaceId, () => this.clock.now());
  }

  static async start(opts: FakeLeanixOptions = {}): Promise<FakeLeanix> {
    let fake: FakeLeanix | null = null;
    const server = createServer((req, res) => void fake!.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeLeanix(server, `http://127.0.0.1:${port}`, opts.workspaceId ?? randomUUID(), opts);
    server.on('connection', (s) => { fake!.sockets.add(s); s.on('close', () => fake!.sockets.delete(s)); });
    return fake;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- knobs ----

  /** The next `times` calls (matching `path`, default: all but the token exchange) answer `status`. */
  failNext(times: number, opts: { status?: number; path?: RegExp; method?: string; retryAfter?: string; includeToken?: boolean; message?: string } = {}): void {
    this.failures.push({ left: times, status: opts.status ?? 503, retryAfter: opts.retryAfter, message: opts.message, match: matcher(opts) });
  }

  /** 429 with Retry-After (seconds, or an HTTP date) for the next `times` calls. */
  rateLimitNext(times: number, retryAfter: string, opts: { path?: RegExp } = {}): void {
    this.failNext(times, { status: 429, retryAfter, path: opts.path });
  }

  /**
   * The next `times` matching calls (after letting `skip` of them through) are carried out and
   * then their connection is cut: LeanIX did the work, the answer is lost.
   */
  dropAnswerOfNext(times: number, opts: { method?: string; path?: RegExp; skip?: number } = {}): void {
    this.drops.push({ left: times, skip: opts.skip ?? 0, match: matcher(opts) });
  }

  /** The next `times` matching calls are never answered (until stop). */
  hangNext(times: number, opts: { method?: string; path?: RegExp } = {}): void {
    this.hangs.push({ left: times, match: matcher(opts) });
  }

  /** The API token is replaced or deleted in LeanIX: its access tokens die with it. */
  revokeApiToken(): void {
    this.apiTokenRevoked = true;
  }

  /** A new API token was put where the old one was (tests of recovery): the same value works again. */
  restoreApiToken(): void {
    this.apiTokenRevoked = false;
  }

  /** Every access token issued so far stops working (as if they had all expired). */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** A change made in LeanIX by someone else (not through the API Keywarden uses). */
  changeOutside(email: string, patch: { role?: string; status?: string }): Json {
    const p = this.data.permissionOf(email);
    if (!p) throw new Error(`no permission for ${email}`);
    Object.assign(p, patch);
    return p;
  }

  /** Calls to a path (regex) with a method, for assertions such as "nothing was posted". */
  callsTo(method: string, path: RegExp): FakeCall[] {
    return this.calls.filter((c) => c.method === method && path.test(c.path));
  }

  /** Whether an API token opens an access token here now. */
  tokenWorks(token: string): boolean {
    return (token === this.apiToken && !this.apiTokenRevoked) || this.data.tokenOwner(token) !== undefined;
  }

  // ---- the server ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const call: FakeCall = { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: Date.now() };
    this.calls.push(call);
    const raw = await readBody(req);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (take(this.hangs, call)) { call.status = 'hung'; return; }
    if (this.down) { call.status = 503; return send(res, 503, envelopeError('Service unavailable.')); }
    const failure = take(this.failures, call);
    if (failure) {
      call.status = failure.status;
      return send(res, failure.status, envelopeError(failure.message ?? (failure.status === 429 ? 'Too many requests.' : 'Service unavailable.')), failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    }
    const drop = take(this.drops, call) !== undefined;
    let status = 500;
    let body: unknown;
    try {
      [status, body] = this.route(call, url, req.headers.authorization, raw);
    } catch (err) {
      if (!(err instanceof FakeRefusal)) throw err;
      [status, body] = [err.status, { status: 'ERROR', type: 'Permission', errors: [{ value: err.value, messages: err.messages }], total: 0, data: null }];
    }
    if (drop) { call.status = 'dropped'; req.socket.destroy(); return; }
    call.status = status;
    if (status === 204) { res.writeHead(204).end(); return; }
    send(res, status, body);
  }

  private route(call: FakeCall, url: URL, authorization: string | undefined, raw: string): [number, unknown] {
    const { method, path } = call;
    if (method === 'POST' && path === `${MTM}/oauth2/token`) return this.exchange(authorization, raw);
    if (!this.authorised(authorization)) return [401, envelopeError('Unauthorized.')];
    const q = url.searchParams;
    const json = (): Json => { try { return JSON.parse(raw); } catch { throw new FakeRefusal(400, ['The body is not JSON.']); } };
    const tu = /^\/services\/mtm\/v1\/technicalusers\/([^/]+)(\/replaceToken|\/changelog)?$/.exec(path);
    const perms = /^\/services\/mtm\/v1\/workspaces\/([^/]+)\/permissions$/.exec(path);
    if (method === 'GET' && perms) {
      if (perms[1] !== this.workspaceId) return [403, envelopeError('Not your workspace.')];
      return paged(this.data.listPermissions(q), q, 'Permission');
    }
    if (method === 'POST' && path === `${MTM}/permissions`) return [200, one(this.data.postPermission(json()), 'Permission')];
    if (path === `${MTM}/technicalusers`) {
      if (q.get('workspaceId') && q.get('workspaceId') !== this.workspaceId) return [403, envelopeError('Not your workspace.')];
      if (method === 'GET') return paged(this.data.listTechnicalUsers(q), q, 'TechnicalUser');
      if (method === 'POST') {
        const { record, token } = this.data.createTechnicalUser(json());
        return [200, one({ ...record, apiTokenData: { ...record.apiTokenData, token } }, 'TechnicalUser')];
      }
    }
    if (tu) {
      const id = decodeURIComponent(tu[1]!);
      if (method === 'GET' && !tu[2]) return [200, one(this.data.technicalUser(id).record, 'TechnicalUser')];
      if (method === 'PUT' && !tu[2]) return [200, one(this.data.updateTechnicalUser(id, json()), 'TechnicalUser')];
      if (method === 'DELETE' && !tu[2]) { this.data.deleteTechnicalUser(id); return [204, null]; }
      if (method === 'PUT' && tu[2] === '/replaceToken') {
        const token = this.data.replaceToken(id);
        const r = this.data.technicalUser(id).record;
        return [200, one({ ...r, apiTokenData: { ...r.apiTokenData, token } }, 'TechnicalUser')];
      }
      if (method === 'GET' && tu[2] === '/changelog') return paged(this.data.technicalUser(id).events, q, 'Event', 100);
    }
    return [404, envelopeError(`No route ${method} ${path}.`)];
  }

  private exchange(authorization: string | undefined, raw: string): [number, unknown] {
    const m = /^Basic (.+)$/.exec(authorization ?? '');
    const decoded = m ? Buffer.from(m[1]!, 'base64').toString() : '';
    const token = decoded.startsWith('apitoken:') ? decoded.slice('apitoken:'.length) : '';
    if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials') return [400, { error: 'unsupported_grant_type' }];
    if (!this.tokenWorks(token)) return [401, { error: 'invalid_client', error_description: 'Bad credentials' }];
    const access = `fake-at-${randomBytes(12).toString('hex')}`;
    this.accessTokens.set(access, { expiresAt: this.clock.now().getTime() + this.lifetime * 1000, apiToken: token });
    return [200, { scope: '', expired: false, access_token: access, token_type: 'bearer', expires_in: this.lifetime }];
  }

  private authorised(authorization: string | undefined): boolean {
    const m = /^Bearer (.+)$/.exec(authorization ?? '');
    const t = m ? this.accessTokens.get(m[1]!) : undefined;
    return t !== undefined && t.expiresAt > this.clock.now().getTime() && this.tokenWorks(t.apiToken);
  }
}

function paged(items: unknown[], q: URLSearchParams, type: string, defaultSize = 30): [number, unknown] {
  const page = q.has('page') ? Number(q.get('page')) : 1;
  const size = q.has('size') ? Number(q.get('size')) : defaultSize;
  if (!Number.isInteger(page) || page < 1) return [400, envelopeError('page must be 1 or more.', type)];
  if (!Number.isInteger(size) || size < 1 || size > 100) return [400, envelopeError('size must be 1 to 100.', type)];
  return [200, { status: 'OK', type, errors: [], total: items.length, data: structuredClone(items.slice((page - 1) * size, page * size)) }];
}

const one = (data: unknown, type: string) => ({ status: 'OK', type, errors: [], total: 0, data: structuredClone(data) });
const envelopeError = (message: string, type = 'Permission') => ({ status: 'ERROR', type, errors: [{ value: '', messages: [message] }], total: 0, data: null });

function matcher(opts: { method?: string; path?: RegExp; includeToken?: boolean }) {
  return (c: { method: string; path: string }) =>
    (opts.includeToken || c.path !== `${MTM}/oauth2/token`) && (!opts.method || c.method === opts.method) && (!opts.path || opts.path.test(c.path));
}

function take<F extends Fault>(faults: F[], call: { method: string; path: string }): F | undefined {
  const f = faults.find((x) => x.left > 0 && x.match(call));
  if (!f) return undefined;
  if (f.skip) { f.skip--; return undefined; }
  f.left--;
  return f;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
