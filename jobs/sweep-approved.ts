import type { Log } from '../src/app/ports.js';
import type { RequestService } from '../src/app/requests.js';

/** The outbox sweep: queue approved requests that never reached the queue. */
export function sweepApprovedProcessor(requests: RequestService, log: Log) {
  return async (): Promise<number> => {
    const n = await requests.sweepApproved();
    if (n > 0) log.info({ count: n }, 'queued approved requests found by the outbox sweep');
    return n;
  };
}
