/** How much the outbound lanes hold, and for how long the oldest message has waited. */
import type { Queue } from 'bullmq';
import { LANES, type Lane } from './messages.js';

export interface LaneBacklog { lane: Lane; backlog: number; oldestSeconds: number }

export async function outboundBacklog(queues: Record<Lane, Queue>, now = Date.now()): Promise<LaneBacklog[]> {
  return Promise.all(
    LANES.map(async (lane) => {
      const q = queues[lane];
      const [counts, heads] = await Promise.all([
        q.getJobCounts('wait', 'prioritized', 'delayed', 'active'),
        // The head of each list (ascending: the oldest first); a retried message waits in `delayed`.
        q.getJobs(['wait', 'prioritized', 'delayed', 'active'], 0, 0, true),
      ]);
      const oldest = Math.min(now, ...heads.filter((j) => j?.timestamp).map((j) => j.timestamp));
      return { lane, backlog: Object.values(counts).reduce((a, b) => a + b, 0), oldestSeconds: Math.max(0, (now - oldest) / 1000) };
    }),
  );
}
