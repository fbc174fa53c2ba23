import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { storeContract } from './contract.js';
import { queriesContract } from './contract-queries.js';

storeContract('store contract: memory', async () => createMemoryStore());
queriesContract('store queries contract: memory', async () => createMemoryStore());
