import type { Collection } from 'mongodb';
import type { SlackInstallation, SlackInstallationRepository, SlackInstallationTokens } from '../../app/ports.js';
import type { Doc } from './documents.js';
import { assertKey, assertValidDates, fromDoc, isKey, toDoc } from './documents.js';

/** Installations on Slack (installable mode). Tokens arrive sealed; nothing here can open them. */
export class MongoSlackInstallations implements SlackInstallationRepository {
  constructor(private readonly col: Collection<Doc<SlackInstallation>>) {}

  async put(i: Omit<SlackInstallation, 'version'>): Promise<SlackInstallation> {
    assertKey(i.id, 'slackInstallation.id');
    const { _id, ...fields } = toDoc({ ...i, version: 0 });
    const { version: _, ...rest } = fields;
    // A reinstall replaces the record and moves its version on, so a rotation that read the old one loses.
    const doc = await this.col.findOneAndUpdate({ _id }, { $set: rest, $inc: { version: 1 } }, { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`slackInstallations.put: upsert of ${i.id} returned no document`);
    return fromDoc<SlackInstallation>(doc);
  }

  async findById(id: string): Promise<SlackInstallation | null> {
    if (!isKey(id)) return null;
    const doc = await this.col.findOne({ _id: id });
    return doc && fromDoc<SlackInstallation>(doc);
  }

  async rotate(id: string, version: number, tokens: SlackInstallationTokens): Promise<SlackInstallation | null> {
    if (!isKey(id) || typeof version !== 'number') return null;
    assertValidDates(tokens, 'tokens');
    const doc = await this.col.findOneAndUpdate(
      { _id: id, version },
      { $set: { sealedBotToken: tokens.sealedBotToken, sealedRefreshToken: tokens.sealedRefreshToken, expiresAt: tokens.expiresAt }, $inc: { version: 1 } },
      { returnDocument: 'after' },
    );
    return doc && fromDoc<SlackInstallation>(doc);
  }

  async delete(id: string, installedBefore?: Date): Promise<boolean> {
    if (!isKey(id)) return false;
    return (await this.col.deleteOne({ _id: id, ...(installedBefore && { installedAt: { $lt: installedBefore } }) })).deletedCount === 1;
  }
}
