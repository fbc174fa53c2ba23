/**
 * What the fake LeanIX holds: one workspace's permissions and technical users, shaped as the MTM
 * documents show them (the seed's permission example, the MTM OpenAPI's TechnicalUserData), with
 * a few fields Keywarden does not know (`tags`, `account`, `links`) so that "post back what you
 * read" is tested for real. The server (fake-leanix.ts) routes requests here.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export type Json = Record<string, any>;

export interface FakeTechUser {
  record: Json;
  /** The one token that works now (null after delete). */
  token: string | null;
  events: Json[];
}

/** An error as the MTM OpenAPI's ApiError has it: `{ value, messages[] }` in the envelope. */
export class FakeRefusal extends Error {
  constructor(readonly status: number, readonly messages: string[], readonly value = '') { super(messages.join('; ')); }
}

const ROLES = ['VIEWER', 'MEMBER', 'ADMIN'];
const STATUSES = ['INVITED', 'ACTIVE', 'ARCHIVED'];

export class FakeLeanixData {
  readonly permissions = new Map<string, Json>();
  readonly technicalUsers = new Map<string, FakeTechUser>();
  /** Every body posted to /permissions, as it came. */
  readonly posted: Json[] = [];
  /** Every body put to /technicalusers/{id}, as it came (tests check what was sent back). */
  readonly put: Json[] = [];
  /** Every technical-user API token ever issued, oldest first (tests check which still work). */
  readonly issued: string[] = [];

  constructor(readonly workspaceId: string, private readonly now: () => Date) {}

  addPermission(p: { email: string; role?: string; status?: string; id?: string; userId?: string; firstName?: string }): Json {
    const record: Json = {
      id: p.id ?? randomUUID(),
      user: {
        id: p.userId ?? randomUUID(), account: { id: 'acc-1', name: 'Acme' }, userName: p.email, email: p.email,
        firstName: p.firstName ?? '', lastName: '', role: 'ACCOUNTUSER', status: 'ACTIVE',
      },
      workspace: { id: this.workspaceId, name: 'acme' },
      workspaceId: this.workspaceId,
      role: p.role ?? 'MEMBER',
      status: p.status ?? 'ACTIVE',
      lastLogin: null,
      tags: ['from-leanix'],
    };
    this.permissions.set(record.id, record);
    return record;
  }

  permissionOf(email: string): Json | undefined {
    return [...this.permissions.values()].find((p) => p.user.email.toLowerCase() === email.toLowerCase());
  }

  listPermissions(q: URLSearchParams): Json[] {
    const email = q.get('email')?.toLowerCase();
    const text = q.get('q')?.toLowerCase();
    const status = q.get('status');
    return [...this.permissions.values()].filter((p) =>
      (!email || p.user.email.toLowerCase().includes(email))
      && (!status || p.status === status)
      && (!text || `${p.user.firstName} ${p.user.lastName} ${p.role}`.toLowerCase().includes(text)));
  }

  /** POST /permissions: the object as read with its attributes changed; INVITED -> ACTIVE refused. */
  postPermission(body: Json): Json {
    this.posted.push(structuredClone(body));
    const current = typeof body?.id === 'string' ? this.permissions.get(body.id) : undefined;
    if (!current) throw new FakeRefusal(404, ['Permission not found.'], 'id');
    if (body.workspaceId !== this.workspaceId) throw new FakeRefusal(400, ['workspaceId does not match the permission.'], 'workspaceId');
    if (!ROLES.includes(body.role)) throw new FakeRefusal(400, [`Invalid role ${String(body.role)}.`], 'role');
    if (!STATUSES.includes(body.status)) throw new FakeRefusal(400, [`Invalid status ${String(body.status)}.`], 'status');
    if (current.status === 'INVITED' && body.status === 'ACTIVE') {
      throw new FakeRefusal(400, ['Cannot change the status of an invited user to ACTIVE.'], 'status');
    }
    const next = { ...structuredClone(body), user: current.user, workspace: current.workspace };
    this.permissions.set(current.id, next);
    return next;
  }

  // ---- technical users ----

  addTechnicalUser(t: { userName: string; role?: string; expiry?: string; description?: string }): { record: Json; token: string } {
    return this.createTechnicalUser({ userName: t.userName, permissionRole: t.role ?? 'MEMBER', apiTokenData: { expiry: t.expiry ?? '2030-01-01T00:00:00Z', description: t.description ?? '' } }, 'seed');
  }

  createTechnicalUser(body: Json, actor = 'api'): { record: Json; token: string } {
    if (typeof body?.userName !== 'string' || body.userName === '') throw new FakeRefusal(400, ['userName is required.'], 'userName');
    if (!ROLES.includes(body.permissionRole)) throw new FakeRefusal(400, ['permissionRole must be VIEWER, MEMBER or ADMIN.'], 'permissionRole');
    if ([...this.technicalUsers.values()].some((t) => t.record.userName === body.userName)) {
      throw new FakeRefusal(400, [`A technical user named ${body.userName} already exists.`], 'userName');
    }
    const id = randomUUID();
    const token = newToken();
    this.issued.push(token);
    const record: Json = {
      ...structuredClone(body), id, accountId: 'acc-1', workspaceId: this.workspaceId,
      email: `${body.userName}@technical-user.leanix.net`,
      customerRoles: body.customerRoles ?? '', accessControlEntities: body.accessControlEntities ?? '',
      apiTokenData: { id: randomUUID(), expiry: body.apiTokenData?.expiry ?? null, description: body.apiTokenData?.description ?? '' },
      links: [{ rel: 'self', href: `/technicalusers/${id}` }],
    };
    this.technicalUsers.set(id, { record, token, events: [] });
    this.event(id, 'TechnicalUserCreatedEvent', actor, { permissionRole: record.permissionRole });
    return { record, token };
  }

  technicalUser(id: string): FakeTechUser {
    const t = this.technicalUsers.get(id);
    if (!t) throw new FakeRefusal(404, ['Technical user not found.'], 'id');
    return t;
  }

  byName(userName: string): FakeTechUser | undefined {
    return [...this.technicalUsers.values()].find((t) => t.record.userName === userName);
  }

  listTechnicalUsers(q: URLSearchParams): Json[] {
    const name = q.get('queryUserName')?.toLowerCase();
    return [...this.technicalUsers.values()].map((t) => t.record).filter((r) => !name || r.userName.toLowerCase().includes(name))
      .sort((a, b) => (a.userName < b.userName ? -1 : 1));
  }

  /** PUT /technicalusers/{id}: changes the attributes; the token stays (an expiry change does not replace it). */
  updateTechnicalUser(id: string, body: Json): Json {
    this.put.push(structuredClone(body));
    const t = this.technicalUser(id);
    if (!ROLES.includes(body?.permissionRole)) throw new FakeRefusal(400, ['permissionRole must be VIEWER, MEMBER or ADMIN.'], 'permissionRole');
    const before = t.record;
    t.record = {
      ...before, ...structuredClone(body), id, workspaceId: this.workspaceId, accountId: before.accountId,
      apiTokenData: { ...before.apiTokenData, ...(body.apiTokenData ? { expiry: body.apiTokenData.expiry, description: body.apiTokenData.description ?? before.apiTokenData.description } : {}) },
    };
    delete t.record.apiTokenData.token;
    this.event(id, 'TechnicalUserUpdatedEvent', 'api', { permissionRole: t.record.permissionRole, expiry: t.record.apiTokenData.expiry });
    return t.record;
  }

  replaceToken(id: string): string {
    const t = this.technicalUser(id);
    t.token = newToken();
    this.issued.push(t.token);
    this.event(id, 'TechnicalUserTokenReplacedEvent', 'api', {});
    return t.token;
  }

  deleteTechnicalUser(id: string): void {
    this.technicalUser(id);
    this.technicalUsers.delete(id);
  }

  /** The technical user whose token this is, while it works. */
  tokenOwner(token: string): FakeTechUser | undefined {
    return [...this.technicalUsers.values()].find((t) => t.token !== null && t.token === token);
  }

  event(id: string, type: string, actor: string, payload: Json): void {
    this.technicalUsers.get(id)?.events.unshift({
      id: randomUUID(), type, status: 'FINISHED', createdAt: this.now().toISOString(),
      actor: { id: `actor-${actor}`, userName: actor === 'api' ? 'keywarden-admin' : actor }, payload,
    });
  }
}

const newToken = () => `fake_${randomBytes(24).toString('base64url')}`;
