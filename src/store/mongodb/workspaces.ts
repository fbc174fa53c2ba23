import type { Collection, Filter } from 'mongodb';
import type { WorkspaceRepository } from '../../app/ports.js';
import type { Workspace } from '../../domain/workspace.js';
import { DuplicateKeyError } from '../errors.js';
import type { Doc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isKey, toDoc } from './documents.js';
import { duplicateKeyIndex } from './duplicate-key.js';
import { INDEX } from './indexes.js';

export class MongoWorkspaces implements WorkspaceRepository {
  constructor(private readonly col: Collection<Doc<Workspace>>) {}

  async upsert(ws: Workspace): Promise<void> {
    assertKey(ws.id, 'workspace.id');
    const doc = toDoc(ws);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.col.replaceOne({ _id: ws.id }, doc, { upsert: true });
        return;
      } catch (err) {
        const index = duplicateKeyIndex(err, COLLECTIONS.workspaces);
        if (index === null) throw err;
        if (index === INDEX.workspaceName || (await this.col.findOne({ name: ws.name, _id: { $ne: ws.id } }))) {
          throw new DuplicateKeyError('workspaces', 'name');
        }
        // Two upserts of one new workspace (two processes seeding at once) both missed and both
        // inserted; the loser's duplicate is on _id_. The workspace exists now: replace it once more.
        if (attempt >= 2) throw err;
      }
    }
  }

  async findById(id: string): Promise<Workspace | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id, ...ACTIVE });
    return doc && fromDoc<Workspace>(doc);
  }

  async findByName(name: string): Promise<Workspace | null> {
    if (!isKey(name)) return null;
    const doc = await this.col.findOne({ name, ...ACTIVE });
    return doc && fromDoc<Workspace>(doc);
  }

  async list(): Promise<Workspace[]> {
    return this.sorted(ACTIVE);
  }

  async findRecord(id: string): Promise<Workspace | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<Workspace>(doc);
  }

  async listRetired(): Promise<Workspace[]> {
    return this.sorted({ retiredAt: { $type: 'date' } });
  }

  async retire(id: string, at: Date): Promise<Workspace | null> {
    if (!isKey(id)) return null;
    // Conditional on being active: of two processes starting at once, one retires it.
    const doc = await this.col.findOneAndUpdate({ _id: id, ...ACTIVE }, { $set: { retiredAt: at } }, { returnDocument: 'after' });
    return doc && fromDoc<Workspace>(doc);
  }

  private async sorted(filter: Filter<Doc<Workspace>>): Promise<Workspace[]> {
    const docs = await this.col.find(filter).toArray();
    // Sorted here rather than by the server: the handful of workspaces then come out in the same
    // (locale-aware) order as from the memory store, not in MongoDB's byte order.
    return docs.map((d) => fromDoc<Workspace>(d)).sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Active: no retiredAt, or null (`{ retiredAt: null }` matches both in MongoDB). */
const ACTIVE = { retiredAt: null } as const;
