import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { storeContract } from './contract.js';

storeContract('store contract: memory', async () => createMemoryStore());
