/** The store the configuration asks for: `memory`, or a MongoDB connection string. */
import type { Log, Store } from '../app/ports.js';
import { createMemoryStore } from './memory/memory-store.js';
import { createMongoStore } from './mongodb/mongo-store.js';

export { DuplicateKeyError } from './errors.js';
export { createMemoryStore } from './memory/memory-store.js';
export { createMongoStore } from './mongodb/mongo-store.js';
export type { MongoStoreOptions } from './mongodb/mongo-store.js';

/** `memory` selects the in-memory store (nothing kept across restarts); anything else is a MongoDB URI. */
export async function openStore(uri: string, log?: Log): Promise<Store> {
  return uri === 'memory' ? createMemoryStore() : createMongoStore(uri, { log });
}
