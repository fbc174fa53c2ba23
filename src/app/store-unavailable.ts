/**
 * Telling a store that is down (or too slow to answer) from a bug, so people get a clear "try
 * again" rather than an apology with a reference. The MongoDB driver's errors are recognised by
 * name and code (the app layer does not import the driver); an adapter may also throw
 * StoreUnavailableError.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * The driver's own errors for "no server, no connection, no answer in time": a network error or
 * socket timeout (socketTimeoutMS), no server found (serverSelectionTimeoutMS), no pooled
 * connection in time (waitQueueTimeoutMS), a pool cleared under a failing server, and the
 * client-side operation timeout of drivers that have one.
 */
const DRIVER_UNAVAILABLE =
  /^Mongo(NetworkError|NetworkTimeoutError|ServerSelectionError|NotConnectedError|TopologyClosedError|ServerClosedError|OperationTimeoutError|PoolClearedError|PoolClosedError|WaitQueueTimeoutError)$|^PoolClearedOnNetworkError$/;

/**
 * Server answers that mean "not now" rather than "not this": the codes the retryable-writes
 * specification retries (a primary stepping down or shutting down, an unreachable host), which
 * are left over once the driver's one retry has failed too, and MaxTimeMSExpired (50).
 */
const SERVER_UNAVAILABLE_CODES = new Set([6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof StoreUnavailableError || DRIVER_UNAVAILABLE.test(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  return /^Mongo(Server|WriteConcern)Error$/.test(err.name) && typeof code === 'number' && SERVER_UNAVAILABLE_CODES.has(code);
}
