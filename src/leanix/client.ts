/**
 * LeanixClient: one connection to one LeanIX workspace over the MTM API, with the calls Keywarden
 * makes. Transport, access token, retries and the unauthorised state are http.ts's; this file
 * knows the paths, the paging and the shapes (schemas.ts). Answers are parsed, never cast, and
 * keep every field LeanIX sent, so an object read can be posted back with only its attributes
 * changed.
 */
import type { z } from 'zod';
import { LeanixCodes, LeanixError, isLeanixError } from './errors.js';
import { LeanixHttp, type LeanixHttpOptions, type LeanixRequest } from './http.js';
import type { ConnectionHealth } from './connection-state.js';
import {
  EventList, PermissionList, PermissionOne, TechnicalUserList, TechnicalUserOne,
  type LeanixEvent, type LeanixPermission, type LeanixTechnicalUser, type LeanixTechnicalUserInput,
} from './schemas.js';

const MTM = '/services/mtm/v1';
/** LeanIX's largest page (the MTM OpenAPI: "defaults to 30, max 100"). */
export const MAX_PAGE_SIZE = 100;

export interface LeanixClientOptions extends LeanixHttpOptions {
  /** The LeanIX workspace this connection administers. */
  workspaceId: string;
  /** Items asked for per page, 1 to 100 (default 100). */
  pageSize?: number;
}

export interface PermissionFilter { email?: string; q?: string; status?: string }

export class LeanixClient {
  readonly workspaceId: string;
  private readonly http: LeanixHttp;
  private readonly pageSize: number;

  constructor(opts: LeanixClientOptions) {
    const size = opts.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new Error(`LeanixClient: pageSize must be 1 to ${MAX_PAGE_SIZE}`);
    if (!opts.workspaceId) throw new Error('LeanixClient needs a workspaceId');
    this.workspaceId = opts.workspaceId;
    this.pageSize = size;
    this.http = new LeanixHttp(opts);
  }

  /** connected, or unauthorised with since and reason (readiness and notifications read it). */
  get health(): ConnectionHealth {
    return this.http.state.current;
  }

  /** The state object itself, to listen for changes (connection-state.ts). */
  get state() {
    return this.http.state;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Tries the API token again after it was refused; true when LeanIX takes it now. */
  recheck(): Promise<boolean> {
    return this.http.recheck();
  }

  // ---- permissions ---------------------------------------------------------------------------

  /** Every permission of the workspace (or those matching the filter), one page at a time. */
  listPermissions(filter: PermissionFilter = {}): AsyncGenerator<LeanixPermission[]> {
    return this.pages('permissions.list', `${MTM}/workspaces/${seg(this.workspaceId)}/permissions`, { ...filter }, PermissionList, (p) => p.id);
  }

  /** The permission of the user with this email (compared without case), or null. */
  async getPermissionByEmail(email: string): Promise<LeanixPermission | null> {
    const want = email.toLowerCase();
    // `email` is a search on LeanIX's side; only an exact match is the user's.
    for await (const page of this.listPermissions({ email })) {
      const hit = page.find((p) => p.user.email.toLowerCase() === want);
      if (hit) return hit;
    }
    return null;
  }

  /** The permission of the LeanIX user with this id, or null (reads pages until found). */
  async getPermissionByUser(userId: string): Promise<LeanixPermission | null> {
    for await (const page of this.listPermissions()) {
      const hit = page.find((p) => p.user.id === userId);
      if (hit) return hit;
    }
    return null;
  }

  /** `POST /permissions` with the object as read and only its attributes changed; LeanIX's answer. */
  async postPermission(permission: LeanixPermission): Promise<LeanixPermission> {
    const body = await this.http.request({ op: 'permissions.post', method: 'POST', path: `${MTM}/permissions`, body: permission });
    return parse(PermissionOne, body, 'POST /permissions').data;
  }

  // ---- technical users -----------------------------------------------------------------------

  /** Every technical user of the workspace (or those whose name contains `userName`), one page at a time. */
  listTechnicalUsers(opts: { userName?: string } = {}): AsyncGenerator<LeanixTechnicalUser[]> {
    return this.pages('techusers.list', `${MTM}/technicalusers`, { workspaceId: this.workspaceId, queryUserName: opts.userName }, TechnicalUserList, (t) => t.id);
  }

  /** The technical user with exactly this user name, or null. */
  async findTechnicalUserByName(userName: string): Promise<LeanixTechnicalUser | null> {
    for await (const page of this.listTechnicalUsers({ userName })) {
      const hit = page.find((t) => t.userName === userName);
      if (hit) return hit;
    }
    return null;
  }

  /** One technical user by id, or null when LeanIX has none (404). */
  async getTechnicalUser(id: string): Promise<LeanixTechnicalUser | null> {
    try {
      const body = await this.http.request({ op: 'techusers.get', method: 'GET', path: `${MTM}/technicalusers/${seg(id)}`, query: { workspaceId: this.workspaceId } });
      return parse(TechnicalUserOne, body, 'GET /technicalusers/{id}').data;
    } catch (err) {
      if (isLeanixError(err) && err.code === LeanixCodes.NOT_FOUND) return null;
      throw err;
    }
  }

  /**
   * `POST /technicalusers?workspaceId=`: the answer holds the new API token (apiTokenData.token),
   * once. Not repeated after a timeout or a 5xx (it may have been made): the caller looks for it
   * by its user name instead.
   */
  async createTechnicalUser(input: LeanixTechnicalUserInput): Promise<LeanixTechnicalUser> {
    return this.techUserCall({ op: 'techusers.create', method: 'POST', path: `${MTM}/technicalusers`, query: { workspaceId: this.workspaceId }, body: input, retry: 'unsent-only' });
  }

  /** `PUT /technicalusers/{id}` with the object as read and only its attributes changed. Does not replace the token. */
  async updateTechnicalUser(id: string, body: LeanixTechnicalUserInput): Promise<LeanixTechnicalUser> {
    return this.techUserCall({ op: 'techusers.update', method: 'PUT', path: `${MTM}/technicalusers/${seg(id)}`, body });
  }

  /**
   * `PUT /technicalusers/{id}/replaceToken`: the old token stops working, the answer holds the new
   * one. Not repeated after a lost answer: a second replacement would make the first answer's
   * token (which the caller never saw) irrelevant anyway, and the caller decides when to ask again.
   */
  async replaceToken(id: string): Promise<LeanixTechnicalUser> {
    return this.techUserCall({ op: 'techusers.replaceToken', method: 'PUT', path: `${MTM}/technicalusers/${seg(id)}/replaceToken`, retry: 'unsent-only' });
  }

  /** `DELETE /technicalusers/{id}`; its token goes with it. False when it was already gone (404). */
  async deleteTechnicalUser(id: string): Promise<boolean> {
    try {
      await this.http.request({ op: 'techusers.delete', method: 'DELETE', path: `${MTM}/technicalusers/${seg(id)}` });
      return true;
    } catch (err) {
      if (isLeanixError(err) && err.code === LeanixCodes.NOT_FOUND) return false;
      throw err;
    }
  }

  /** `GET /technicalusers/{id}/changelog`, newest first as LeanIX sorts it, up to `limit` entries. */
  async changelog(id: string, limit = 50): Promise<LeanixEvent[]> {
    const out: LeanixEvent[] = [];
    const pages = this.pages('techusers.changelog', `${MTM}/technicalusers/${seg(id)}/changelog`, { workspaceId: this.workspaceId }, EventList, (e) => e.id ?? null);
    for await (const page of pages) {
      out.push(...page);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  // ---- paging --------------------------------------------------------------------------------

  /**
   * Pages 1, 2, ... (LeanIX's pages are 1-indexed) of `size` items until `total` items came, or a
   * page came back empty. A server that ignores `page` (Keywarden's own API answers everything at
   * once, with total equal to what it sent) ends after the first page; one that sends the same
   * page twice is stopped rather than read forever.
   */
  private async *pages<T>(
    op: string, path: string, query: Record<string, string | undefined>,
    schema: z.ZodType<{ total?: number | null; data: T[] }>, idOf: (item: T) => string | null,
  ): AsyncGenerator<T[]> {
    let seen = 0;
    let previousFirst: string | null = null;
    for (let page = 1; ; page++) {
      const body = await this.http.request({ op, method: 'GET', path, query: { ...query, page, size: this.pageSize } });
      const { total, data } = parse(schema, body, `GET ${path}`);
      if (data.length === 0) return;
      const first = idOf(data[0]!);
      if (page > 1 && first !== null && first === previousFirst) {
        throw new LeanixError(LeanixCodes.BAD_ANSWER, `LeanIX sent page ${page} of GET ${path} the same as page ${page - 1}; it does not page as documented.`);
      }
      previousFirst = first;
      seen += data.length;
      yield data;
      if (total == null || seen >= total) return;
    }
  }

  private async techUserCall(req: LeanixRequest): Promise<LeanixTechnicalUser> {
    const body = await this.http.request(req);
    return parse(TechnicalUserOne, body, `${req.method} ${req.path}`).data;
  }
}

/** Parses an answer; a shape Keywarden cannot read names where, never the data (it may hold a token). */
function parse<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new LeanixError(LeanixCodes.BAD_ANSWER, `LeanIX's answer to ${what} is not the documented shape (${issue.path.join('.') || 'top'}: ${issue.message}).`);
}

const seg = (s: string) => encodeURIComponent(s);
