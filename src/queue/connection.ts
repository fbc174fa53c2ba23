import { Redis } from 'ioredis';

/**
 * Redis connections for BullMQ. Producers fail fast when Redis is away (the approval is already
 * recorded in the store and the outbox sweep queues it later), rather than queueing commands in
 * memory and hanging the Slack click. Workers wait for Redis for as long as it takes.
 */
export function redisConnection(url: string, purpose: 'producer' | 'worker'): Redis {
  return purpose === 'producer'
    ? new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: false })
    : new Redis(url, { maxRetriesPerRequest: null });
}
