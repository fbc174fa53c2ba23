/** What the grant reliability tests share: a permission of ACTIVE under a grant, and its history. */
import { expect } from 'vitest';
import { ACTIVE, WS_ID } from '../app/fixtures.js';
import { approve, type CrashWorld } from './crash-world.js';

export const HOUR = 3600_000;

export async function permissionOf(w: CrashWorld) {
  const user = await w.f.store.users.findByEmail(ACTIVE);
  return (await w.f.store.permissions.find(WS_ID, user!.id))!;
}
export const actions = async (w: CrashWorld) => (await w.f.store.history.listBySubject('permission', (await permissionOf(w)).id, 100)).map((h) => h.action);
export const endLines = async (w: CrashWorld) => (await actions(w)).filter((a) => a === 'permission.grant_ended');

/** ADMIN for `minutes`, applied; the timer is still the fake one (nothing on Redis yet). */
export async function granted(w: CrashWorld, minutes = 240): Promise<string> {
  const id = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN', minutes } });
  expect(await w.requests.apply(id)).toMatchObject({ status: 'APPLIED' });
  return id;
}
