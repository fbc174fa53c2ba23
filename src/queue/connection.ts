import { Redis } from 'ioredis';

/**
 * Redis connections for BullMQ. Producers fail fast when Redis is away (the approval is already
 * recorded in the store and the outbox sweep queues it later), rather than queueing commands in
 * memory and hanging the Slack click. That includes a Redis that accepts the connection but never
 * answers (frozen, or a network that drops packets): every command gives up after
 * PRODUCER_COMMAND_TIMEOUT_MS. Workers wait for Redis for as long as it takes.
 *
 * The web edge's guards (rate limits, replayed Slack signatures) fail fast the same way, on a
 * connection of their own that pipelines automatically: each request makes one small command, and
 * under load many requests are read in one turn of the event loop, so their commands go out in
 * one write instead of one each (on the machines here a socket write costs 30-60 µs of CPU).
 */
export const PRODUCER_COMMAND_TIMEOUT_MS = 1000;

export function redisConnection(url: string, purpose: 'producer' | 'guard' | 'worker'): Redis {
  if (purpose === 'worker') return new Redis(url, { maxRetriesPerRequest: null });
  return new Redis(url, {
    maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: false, commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
    enableAutoPipelining: purpose === 'guard',
  });
}
