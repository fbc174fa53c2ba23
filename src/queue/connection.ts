import { Redis } from 'ioredis';

/**
 * Redis connections for BullMQ. Producers fail fast when Redis is away (the approval is already
 * recorded in the store and the outbox sweep queues it later), rather than queueing commands in
 * memory and hanging the Slack click. That includes a Redis that accepts the connection but never
 * answers (frozen, or a network that drops packets): every command gives up after
 * PRODUCER_COMMAND_TIMEOUT_MS. Workers wait for Redis for as long as it takes.
 */
export const PRODUCER_COMMAND_TIMEOUT_MS = 1000;

export function redisConnection(url: string, purpose: 'producer' | 'worker'): Redis {
  return purpose === 'producer'
    ? new Redis(url, {
      maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: false, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
    })
    : new Redis(url, { maxRetriesPerRequest: null });
}
