import { createMemoryStore } from '../../src/store/memory/memory-store.js';
import { storeContract } from './contract.js';
import { queriesContract } from './contract-queries.js';
import { valuesContract } from './contract-values.js';
import { accessReviewsContract } from './contract-access-reviews.js';

storeContract('store contract: memory', async () => createMemoryStore());
queriesContract('store queries contract: memory', async () => createMemoryStore());
valuesContract('store values contract: memory', async () => createMemoryStore());
accessReviewsContract('store access reviews contract: memory', async () => createMemoryStore());
