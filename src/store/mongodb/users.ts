import type { Collection } from 'mongodb';
import type { UserRepository } from '../../app/ports.js';
import type { User } from '../../domain/user.js';
import { emailKey } from '../../domain/user.js';
import { DuplicateKeyError } from '../errors.js';
import type { UserDoc } from './documents.js';
import { assertKey, COLLECTIONS, fromDoc, isKey, toDoc } from './documents.js';
import { duplicateKeyIndex, ID_INDEX } from './duplicate-key.js';

const toUser = (doc: UserDoc): User => {
  const { emailKey: _key, ...user } = fromDoc<User & { emailKey: string }>(doc);
  return user;
};

export class MongoUsers implements UserRepository {
  constructor(private readonly col: Collection<UserDoc>) {}

  async findByEmail(email: string): Promise<User | null> {
    if (!isKey(email)) return null;
    const doc = await this.col.findOne({ emailKey: emailKey(email) });
    return doc && toUser(doc);
  }

  /** In the order of `ids`; ids with no user are left out. */
  async findByIds(ids: string[]): Promise<User[]> {
    const wanted = ids.filter(isKey);
    if (wanted.length === 0) return [];
    const docs = await this.col.find({ _id: { $in: wanted } }).toArray();
    const byId = new Map(docs.map((d) => [d._id, d]));
    return wanted.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [toUser(doc)] : [];
    });
  }

  async ensure(user: User): Promise<User> {
    assertKey(user.id, 'user.id');
    assertKey(user.email, 'user.email');
    const key = emailKey(user.email);
    try {
      // One atomic insert-if-absent: returns the stored user whether it was there or not.
      const doc = await this.col.findOneAndUpdate(
        { emailKey: key },
        { $setOnInsert: { ...toDoc(user), emailKey: key } },
        { upsert: true, returnDocument: 'after' },
      );
      if (doc) return toUser(doc);
    } catch (err) {
      const index = duplicateKeyIndex(err, COLLECTIONS.users);
      if (index === null) throw err;
      // Two ensures of the same email raced and the other inserted first (a server only retries
      // such an upsert itself from 4.2 on, and not in every case). Its duplicate may be reported
      // on _id_ or on the email index, whichever the server checked first: either way, when the
      // email is there now, the stored user is the answer.
      const stored = await this.col.findOne({ emailKey: key });
      if (stored) return toUser(stored);
      // The id already belongs to a user with another email: a real conflict.
      if (index === ID_INDEX) throw new DuplicateKeyError('users', '_id');
      throw err;
    }
    // Unreachable with upsert + returnDocument 'after'; said plainly rather than cast away.
    throw new Error(`users.ensure: upsert of ${user.id} returned no document`);
  }
}
