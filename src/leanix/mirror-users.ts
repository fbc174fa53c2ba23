/**
 * The people behind a page of LeanIX permissions, as the mirror knows them: by LeanIX's user id,
 * else by email (a person the seed file named before the workspace was connected), else added.
 * One read for the whole page in the usual case (everyone known by id).
 */
import type { Store } from '../app/ports.js';
import { isEmail } from '../domain/user.js';
import type { MtmUser } from './reader.js';

export class MirrorUsers {
  constructor(private readonly store: Store) {}

  /** LeanIX user id -> the mirror's user id; a user whose email is not one is left out (and counted). */
  async resolve(users: MtmUser[], r: { written: number; unknown: number }): Promise<Map<string, string>> {
    const ids = new Map((await this.store.users.findByIds(users.map((u) => u.id))).map((u) => [u.id, u.id]));
    for (const u of users) {
      if (ids.has(u.id)) continue;
      if (!isEmail(u.email)) continue;
      const known = await this.store.users.findByEmail(u.email);
      if (known) {
        ids.set(u.id, known.id);
        continue;
      }
      const added = await this.store.users.ensure({
        id: u.id, email: u.email, userName: u.userName ?? u.email, firstName: u.firstName ?? '', lastName: u.lastName ?? '',
      });
      ids.set(u.id, added.id);
      r.written++;
    }
    return ids;
  }
}
