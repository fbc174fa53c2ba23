/**
 * Telling a store that is down (or too slow to answer) from a bug, so people get a clear "try
 * again" rather than an apology with a reference. The MongoDB driver's errors are recognised by
 * name (the app layer does not import the driver); an adapter may also throw StoreUnavailableError.
 */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

const DRIVER_UNAVAILABLE = /^Mongo(NetworkError|NetworkTimeoutError|ServerSelectionError|NotConnectedError|TopologyClosedError|OperationTimeoutError|PoolClearedError|PoolClosedError|WaitQueueTimeoutError)$/;

export function isStoreUnavailable(err: unknown): boolean {
  return err instanceof Error && (err instanceof StoreUnavailableError || DRIVER_UNAVAILABLE.test(err.name));
}
