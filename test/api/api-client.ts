/**
 * What the API tests share: technical users put straight into the store (with a fresh API token,
 * as tests may), the token exchange, and requests shaped like the MTM document's curl examples.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/app/ports.js';
import { generateApiToken } from '../../src/domain/api-token.js';
import type { Role } from '../../src/domain/permission.js';
import type { TechnicalUser } from '../../src/domain/technical-user.js';

export const TOKEN_PATH = '/services/mtm/v1/oauth2/token';
export const JWKS_PATH = '/.well-known/jwks.json';
export const PERMISSIONS_PATH = '/services/mtm/v1/permissions';
export const listPath = (workspaceId: string) => `/services/mtm/v1/workspaces/${workspaceId}/permissions`;

const DAY = 86_400_000;

export interface Integration {
  tu: TechnicalUser;
  /** The plaintext API token, as its owner would have it. */
  token: string;
}

/** A technical user with a working API token, stored directly. */
export async function addTechnicalUser(
  store: Store,
  o: { workspaceId: string; role: Role; now: Date; userName?: string; expiresInDays?: number },
): Promise<Integration> {
  const t = generateApiToken();
  const tu: TechnicalUser = {
    id: randomUUID(), workspaceId: o.workspaceId, userName: o.userName ?? `bot-${randomUUID().slice(0, 8)}`,
    description: 'API test', role: o.role, customerRoles: [], accessControlEntities: [],
    token: {
      hash: t.hash, lastFour: t.lastFour, createdAt: o.now,
      expiresAt: new Date(o.now.getTime() + (o.expiresInDays ?? 90) * DAY), revealBy: null, revokedAt: null, nextWarningAt: null, lastWarnedDays: null,
    },
    createdAt: o.now, version: 1, lastRequestId: null,
  };
  if (!(await store.technicalUsers.insert(tu))) throw new Error(`could not insert ${tu.userName}`);
  return { tu, token: t.token };
}

/** Replaces a technical user's API token in the store (as a rotation does); returns the new one. */
export async function replaceToken(store: Store, id: string, now: Date): Promise<string> {
  const current = (await store.technicalUsers.findById(id))!;
  const t = generateApiToken();
  await store.technicalUsers.update(id, current.version, {
    token: { ...current.token!, hash: t.hash, lastFour: t.lastFour, createdAt: now },
  });
  return t.token;
}

export const basic = (apiToken: string, user = 'apitoken') => `Basic ${Buffer.from(`${user}:${apiToken}`).toString('base64')}`;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST .../oauth2/token the way the LeanIX document's curl does (-u apitoken:<token> -d grant_type=...). */
export async function exchange(base: string, apiToken: string, o: { body?: string; query?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${base}${TOKEN_PATH}${o.query ?? ''}`, {
    method: 'POST',
    headers: { authorization: basic(apiToken), 'content-type': 'application/x-www-form-urlencoded', ...o.headers },
    body: o.body ?? 'grant_type=client_credentials',
  });
  return answer(res);
}

/** An access token for an API token, failing the test when the exchange does not work. */
export async function accessTokenFor(base: string, apiToken: string): Promise<string> {
  const a = await exchange(base, apiToken);
  if (a.status !== 200) throw new Error(`token exchange failed: ${a.status} ${a.text}`);
  return a.json.access_token as string;
}

/** A request with the MTM document's headers: content-type json, Bearer token. */
export async function call(
  base: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  o: { bearer?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  if (o.bearer !== undefined) headers.authorization = `Bearer ${o.bearer}`;
  const body = o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  return answer(await fetch(`${base}${path}`, { method, headers, body }));
}
