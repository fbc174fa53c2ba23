/**
 * What a grant needs of its subject, the same for a permission and a technical user: find it,
 * read its role, grant and remembered changes, and change them in one compare-and-set.
 */
import type { AppliedChange } from '../domain/applied.js';
import type { Grant } from '../domain/grant.js';
import type { SubjectType } from '../domain/history.js';
import type { Role } from '../domain/permission.js';
import type { Store } from './ports.js';

export interface GrantSubject {
  type: SubjectType;
  id: string;
  workspaceId: string;
  /** The email of a permission's user, or a technical user's userName. */
  label: string;
  role: Role;
  grant: Grant | null;
  applied: AppliedChange[];
  version: number;
}

export interface SubjectRef {
  type: SubjectType;
  id: string;
}

export type SubjectFields = { role?: Role; grant?: Grant | null; applied: AppliedChange[] };

export class GrantSubjects {
  constructor(private readonly store: Store) {}

  /** By what a request names: an email (permission) or a userName (technical user). */
  async find(type: SubjectType, workspaceId: string, label: string): Promise<GrantSubject | null> {
    if (type === 'technicalUser') return this.ofTechnicalUser(await this.store.technicalUsers.findByName(workspaceId, label));
    const user = await this.store.users.findByEmail(label);
    const p = user && (await this.store.permissions.find(workspaceId, user.id));
    return p && { ...pick(p), type, label: user.email };
  }

  async findById(ref: SubjectRef): Promise<GrantSubject | null> {
    if (ref.type === 'technicalUser') return this.ofTechnicalUser(await this.store.technicalUsers.findById(ref.id));
    const p = await this.store.permissions.findById(ref.id);
    const [user] = p ? await this.store.users.findByIds([p.userId]) : [];
    return p && { ...pick(p), type: 'permission', label: user?.email ?? p.userId };
  }

  /** Compare-and-set on the version; null when it lost a race (or the subject is gone). */
  async update(s: GrantSubject, fields: SubjectFields): Promise<GrantSubject | null> {
    if (s.type === 'technicalUser') return this.ofTechnicalUser(await this.store.technicalUsers.update(s.id, s.version, fields));
    const p = await this.store.permissions.update(s.id, s.version, fields);
    return p && { ...pick(p), type: 'permission', label: s.label };
  }

  /** Every subject under a grant whose end is due, of both kinds, earliest first. */
  async listDue(now: Date, limit: number): Promise<Array<{ ref: SubjectRef; workspaceId: string; grant: Grant }>> {
    const [ps, ts] = await Promise.all([this.store.permissions.listGrantsDue(now, limit), this.store.technicalUsers.listGrantsDue(now, limit)]);
    return [
      ...ps.map((p) => ({ ref: { type: 'permission' as const, id: p.id }, workspaceId: p.workspaceId, grant: p.grant! })),
      ...ts.map((t) => ({ ref: { type: 'technicalUser' as const, id: t.id }, workspaceId: t.workspaceId, grant: t.grant! })),
    ].sort((a, b) => a.grant.until.getTime() - b.grant.until.getTime()).slice(0, limit);
  }

  /** A workspace's subjects under a grant, soonest end first. */
  async listActive(workspaceId: string, limit: number): Promise<GrantSubject[]> {
    const [ps, ts] = await Promise.all([this.store.permissions.listGrants(workspaceId, limit), this.store.technicalUsers.listGrants(workspaceId, limit)]);
    const users = new Map((await this.store.users.findByIds(ps.map((p) => p.userId))).map((u) => [u.id, u.email]));
    return [
      ...ps.map((p) => ({ ...pick(p), type: 'permission' as const, label: users.get(p.userId) ?? p.userId })),
      ...ts.map((t) => ({ ...pick(t), type: 'technicalUser' as const, label: t.userName })),
    ].sort((a, b) => a.grant!.until.getTime() - b.grant!.until.getTime()).slice(0, limit);
  }

  private ofTechnicalUser(t: Awaited<ReturnType<Store['technicalUsers']['findById']>>): GrantSubject | null {
    return t && { ...pick(t), type: 'technicalUser', label: t.userName };
  }
}

function pick(x: { id: string; workspaceId: string; role: Role; grant?: Grant | null; applied?: AppliedChange[]; version: number }) {
  return { id: x.id, workspaceId: x.workspaceId, role: x.role, grant: x.grant ?? null, applied: x.applied ?? [], version: x.version };
}
