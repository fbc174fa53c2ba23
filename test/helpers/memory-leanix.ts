/**
 * A LeanIX held in memory behind the sync's reader port (src/leanix/reader.ts): permissions and
 * technical users a test changes directly, read a page at a time as the MTM API pages them.
 * Counts the pages read. The HTTP fake (fake-leanix.ts) plays LeanIX over the wire.
 */
import { randomUUID } from 'node:crypto';
import type { LeanixReader, MtmPermission, MtmTechnicalUser } from '../../src/leanix/reader.js';

export class MemoryLeanix implements LeanixReader {
  readonly permissionsById = new Map<string, MtmPermission>();
  readonly technicalUsersById = new Map<string, MtmTechnicalUser>();
  pagesRead = 0;
  /** Runs before each page is answered (a test changes LeanIX "while" it is read). */
  beforePage: (() => void | Promise<void>) | null = null;

  constructor(readonly workspaceId: string, readonly pageSize = 100) {}

  addPermission(email: string, role: string, status: string, extra: Partial<MtmPermission> = {}): MtmPermission {
    const p: MtmPermission = {
      id: randomUUID(), user: { id: randomUUID(), email, userName: email, firstName: email.split('@')[0]!, lastName: 'Test' },
      workspaceId: this.workspaceId, role, status, lastLogin: null, ...extra,
    };
    this.permissionsById.set(p.id, p);
    return p;
  }

  addTechnicalUser(userName: string, role: string): MtmTechnicalUser {
    const t: MtmTechnicalUser = { id: randomUUID(), userName, permissionRole: role, customerRoles: [], accessControlEntities: [] };
    this.technicalUsersById.set(t.id, t);
    return t;
  }

  permissionOf(email: string): MtmPermission {
    const p = [...this.permissionsById.values()].find((x) => x.user.email === email);
    if (!p) throw new Error(`no permission of ${email}`);
    return p;
  }

  permissions(): AsyncIterable<MtmPermission[]> {
    return this.pages(() => [...this.permissionsById.values()]);
  }

  technicalUsers(): AsyncIterable<MtmTechnicalUser[]> {
    return this.pages(() => [...this.technicalUsersById.values()]);
  }

  private async *pages<T>(all: () => T[]): AsyncGenerator<T[]> {
    for (let page = 0; ; page++) {
      await this.beforePage?.();
      const items = all();
      this.pagesRead++;
      const slice = structuredClone(items.slice(page * this.pageSize, (page + 1) * this.pageSize));
      if (slice.length > 0) yield slice;
      if ((page + 1) * this.pageSize >= items.length) return;
    }
  }
}
