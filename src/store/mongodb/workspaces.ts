import type { Collection } from 'mongodb';
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
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<Workspace>(doc);
  }

  async findByName(name: string): Promise<Workspace | null> {
    if (!isKey(name)) return null;
    const doc = await this.col.findOne({ name });
    return doc && fromDoc<Workspace>(doc);
  }

  async list(): Promise<Workspace[]> {
    const docs = await this.col.find({}).toArray();
    // Sorted here rather than by the server: the handful of workspaces then come out in the same
    // (locale-aware) order as from the memory store, not in MongoDB's byte order.
    return docs.map((d) => fromDoc<Workspace>(d)).sort((a, b) => a.name.localeCompare(b.name));
  }
}
