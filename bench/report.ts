/** The readable table and the one-line JSON result, from the figures of a run. */
import { round } from './harness.js';
import { SLACK_LANE_LIMITS } from '../src/slack/outbound/lanes.js';
import type { AckResult } from './scenarios/ack.js';
import type { ApplyResult } from './scenarios/apply.js';
import type { BurstResult } from './scenarios/burst.js';
import type { BurstChannelsResult } from './scenarios/burst-channels.js';
import type { ExchangeResult } from './scenarios/exchange.js';
import type { GrantsResult } from './scenarios/grants.js';
import type { ScanResult } from './scenarios/scan.js';
import type { LeanixResult } from './scenarios/leanix.js';
import type { LeanixApplyResult } from './scenarios/leanix-apply.js';
import type { ReviewsResult } from './scenarios/reviews.js';

export interface Figures {
  store: 'memory' | 'mongodb';
  quick: boolean;
  ack: AckResult;
  apply: ApplyResult;
  exchange: ExchangeResult;
  scan: ScanResult;
  grants: GrantsResult;
  rssMb: number;
  /** Not run in --quick (or when --only leaves it out). */
  burst: BurstResult | null;
  /** Part `leanix` (issue 21): the mirror sync against the fake LeanIX; null when not run. */
  leanix: (LeanixResult & { apply: LeanixApplyResult }) | null;
  burstChannels?: BurstChannelsResult | null;
  /** Issue 22; not run in --quick (or when --only leaves it out). */
  reviews?: ReviewsResult | null;
}

export interface Machine { cpus: number; cpuModel: string; memoryGb: number; node: string }

/** Exactly the shape the issue asks for; nothing more. */
export interface ResultJson {
  store: 'memory' | 'mongodb';
  ack_p50_ms: number;
  ack_p99_ms: number;
  ack_ratio: number;
  apply_per_s: number;
  apply_ratio: number;
  exchange_per_s: number;
  exchange_ratio: number;
  scan_ms: { '10000': number; '100000': number; '1000000': number };
  /** Issue 13: grants ending in the same minute, how late each was reverted, and the due read. */
  grants: {
    n: number; reverted: number; lateness_p50_ms: number; lateness_p99_ms: number; dm_lateness_p99_ms: number;
    /** The same N ending at one instant (a pile-up): lateness p99 and the worker's pace. */
    pileup_lateness_p99_ms: number; pileup_per_s: number;
    due_read_ms: { '10000': number; '100000': number; '1000000': number };
  };
  rss_mb: number;
  /** Slack at its rate limits (issue 14): seconds, each next to the floor the limits set. */
  burst?: { requests: number; posted_s: number; posted_floor_s: number; done_s: number; done_floor_s: number; ack_max_ms: number };
  /** The LeanIX mirror (issue 21): a full sync against a bare paged read of the same, and the writes of a sync that found nothing changed. */
  leanix?: { permissions: number; technical_users: number; latency_ms: number; sync_ms: number; first_sync_ms: number; bare_read_ms: number; sync_ratio: number; first_sync_ratio: number; unchanged_writes: number; apply_per_s: number; bare_apply_per_s: number; apply_ratio: number };
  burst_channels?: { channels: number; per_channel: number; teams: number; posted_s: number; posted_floor_s: number; done_s: number; done_floor_s: number; ack_max_ms: number };
  /** Access reviews (issue 22): starting a campaign, and every reviewer's DM, next to Slack's floor and the lane's. */
  reviews?: { items: number; reviewers: number; start_s: number; dms_s: number; dms_floor_s: number; lane_floor_s: number };
}

const failures = (f: Record<string, number>) => {
  const s = Object.entries(f).map(([k, v]) => `${v}x${k}`).join(' ');
  return s ? ` (failed: ${s})` : '';
};

export function report(f: Figures, m: Machine, seconds: number): { table: string; json: ResultJson } {
  const applyPerS = f.apply.n / (f.apply.oursMs / 1000);
  const bareApplyPerS = f.apply.n / (f.apply.bareMs / 1000);
  const scanMs = (n: number) => f.scan.ms[String(n)] ?? NaN;
  const dueMs = (n: number) => f.grants.dueReadMs[String(n)] ?? NaN;
  const g = f.grants.spread;
  const gp = f.grants.pileUp;
  const allEnded = (b: typeof g) => b.n > 0 && b.reverted === b.n && b.dms === b.n && b.threadLines === b.n;
  const json: ResultJson = {
    store: f.store,
    ack_p50_ms: round(f.ack.ours.latency.p50),
    ack_p99_ms: round(f.ack.ours.latency.p99),
    ack_ratio: round(f.ack.ours.latency.p50 / f.ack.bare.latency.p50),
    apply_per_s: round(applyPerS, 0),
    apply_ratio: round(applyPerS / bareApplyPerS, 3),
    exchange_per_s: round(f.exchange.ours.perSecond, 0),
    exchange_ratio: round(f.exchange.ours.perSecond / f.exchange.bare.perSecond, 3),
    scan_ms: { '10000': round(scanMs(10_000)), '100000': round(scanMs(100_000)), '1000000': round(scanMs(1_000_000)) },
    grants: {
      n: g.n, reverted: g.reverted,
      lateness_p50_ms: round(g.revertLateness.p50, 0), lateness_p99_ms: round(g.revertLateness.p99, 0), dm_lateness_p99_ms: round(g.dmLateness.p99, 0),
      pileup_lateness_p99_ms: round(gp.revertLateness.p99, 0), pileup_per_s: round(gp.perSecond, 0),
      due_read_ms: { '10000': round(dueMs(10_000), 3), '100000': round(dueMs(100_000), 3), '1000000': round(dueMs(1_000_000), 3) },
    },
    rss_mb: round(f.rssMb, 1),
    ...(f.burstChannels && { burst_channels: {
      channels: f.burstChannels.channels, per_channel: f.burstChannels.perChannel, teams: f.burstChannels.teams,
      posted_s: round(f.burstChannels.postedS, 1), posted_floor_s: round(f.burstChannels.postedFloorS, 1),
      done_s: round(f.burstChannels.doneS, 1), done_floor_s: round(f.burstChannels.doneFloorS, 1), ack_max_ms: round(f.burstChannels.ackMaxMs),
    } }),
    ...(f.burst && { burst: {
      requests: f.burst.n, posted_s: round(f.burst.postedS, 1), posted_floor_s: round(f.burst.postedFloorS, 1),
      done_s: round(f.burst.doneS, 1), done_floor_s: round(f.burst.doneFloorS, 1), ack_max_ms: round(f.burst.ackMaxMs),
    } }),
    ...(f.reviews && { reviews: {
      items: f.reviews.items, reviewers: f.reviews.reviewers, start_s: round(f.reviews.startS, 2), dms_s: round(f.reviews.dmsS, 1),
      dms_floor_s: round(f.reviews.dmsFloorS, 1), lane_floor_s: round(f.reviews.laneFloorS, 1),
    } }),
  };
  const lx = f.leanix;
  const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
  const lxBare = lx ? median(lx.bareMs) : NaN;
  const lxSync = lx ? median(lx.syncMs) : NaN;
  const lxWrites = lx ? Math.max(...lx.unchangedWrites) : NaN;
  const lxApply = lx ? lx.apply.n / (lx.apply.oursMs / 1000) : NaN;
  const lxBareApply = lx ? lx.apply.n / ((lx.apply.bareRunsMs[0]! + lx.apply.bareRunsMs[1]!) / 2 / 1000) : NaN;
  if (lx) {
    json.leanix = {
      apply_per_s: round(lxApply, 1), bare_apply_per_s: round(lxBareApply, 1), apply_ratio: round(lxApply / lxBareApply, 3),
      permissions: lx.permissions, technical_users: lx.technicalUsers, latency_ms: lx.latencyMs, sync_ms: round(lxSync), first_sync_ms: round(lx.firstSyncMs),
      bare_read_ms: round(lxBare), sync_ratio: round(lxSync / lxBare, 3), first_sync_ratio: round(lx.firstSyncMs / lxBare, 3), unchanged_writes: lxWrites,
    };
  }
  const scanRatio = scanMs(1_000_000) / scanMs(10_000);
  const ok = (b: boolean) => (b ? 'met' : 'MISSED');
  const rows: string[][] = [
    ['figure', 'Keywarden', 'baseline', 'ratio', 'goal', ''],
    ['ack p50 (ms)', fmt(f.ack.ours.latency.p50), fmt(f.ack.bare.latency.p50), fmt(json.ack_ratio), 'ratio <= 1.5', ok(json.ack_ratio <= 1.5)],
    ['ack p99 (ms)', fmt(f.ack.ours.latency.p99), fmt(f.ack.bare.latency.p99), fmt(f.ack.ours.latency.p99 / f.ack.bare.latency.p99), '<= 50 ms', ok(json.ack_p99_ms <= 50)],
    ['apply (applied/s)', fmt(applyPerS, 0), fmt(bareApplyPerS, 0), fmt(json.apply_ratio, 3), '>= 1000/s, ratio >= 0.25', ok(applyPerS >= 1000 && json.apply_ratio >= 0.25)],
    ['exchange (/s)', fmt(f.exchange.ours.perSecond, 0), fmt(f.exchange.bare.perSecond, 0), fmt(json.exchange_ratio, 3), '>= 3000/s, ratio >= 0.6', ok(json.exchange_per_s >= 3000 && json.exchange_ratio >= 0.6)],
    ['scan 10k (ms, median)', fmt(scanMs(10_000)), '', '', '', ''],
    ['scan 100k (ms, median)', fmt(scanMs(100_000)), '', fmt(scanMs(100_000) / scanMs(10_000)), '', ''],
    ['scan 1M (ms, median)', fmt(scanMs(1_000_000)), 'scan 10k', fmt(scanRatio), 'ratio <= 3', ok(scanRatio <= 3)],
    [`grants reverted and told (of ${g.n} + ${gp.n})`, g.n ? String(g.reverted + gp.reverted) : 'n/a', '', '', 'all, once', ok(allEnded(g) && allEnded(gp))],
    ['grant lateness p50 (ms)', fmt(g.revertLateness.p50, 0), '', '', '', ''],
    ['grant lateness p99 (ms)', fmt(g.revertLateness.p99, 0), '', '', '< 5000 ms', ok(g.revertLateness.p99 < 5000)],
    ['grant pile-up p99 (ms)', fmt(gp.revertLateness.p99, 0), '', '', '', ''],
    ['grant due read 10k (ms, median)', fmt(dueMs(10_000), 3), '', '', '', ''],
    ['grant due read 100k (ms, median)', fmt(dueMs(100_000), 3), '', fmt(dueMs(100_000) / dueMs(10_000)), '', ''],
    ['grant due read 1M (ms, median)', fmt(dueMs(1_000_000), 3), 'read 10k', fmt(dueMs(1_000_000) / dueMs(10_000)), 'ratio <= 3', ok(dueMs(1_000_000) / dueMs(10_000) <= 3)],
    ['server peak RSS (MB)', fmt(f.rssMb, 1), '', '', '', ''],
  ];
  if (lx) {
    rows.push(
      ['leanix apply (applied/s)', fmt(lxApply, 1), fmt(lxBareApply, 1), fmt(lxApply / lxBareApply, 3), 'ratio >= 0.5', ok(lxApply / lxBareApply >= 0.5 && lx.apply.applied === lx.apply.n)],
      [`leanix sync ${lx.permissions / 1000}k+${lx.technicalUsers / 1000}k, unchanged (ms)`, fmt(lxSync, 0), fmt(lxBare, 0), fmt(lxSync / lxBare, 3), 'ratio <= 1.5', ok(lxSync / lxBare <= 1.5)],
      ['leanix first sync, all taken in (ms)', fmt(lx.firstSyncMs, 0), fmt(lxBare, 0), fmt(lx.firstSyncMs / lxBare, 3), 'ratio <= 1.5', ok(lx.firstSyncMs / lxBare <= 1.5)],
      ['leanix unchanged sync: store writes', String(lxWrites), '', '', '0', ok(lxWrites === 0)],
    );
  }
  // The Slack-limited parts share one goal: within 1.2x the floor Slack's limits set, plus 5 s.
  const within = (s: number, floor: number) => s <= 1.2 * floor + 5;
  const burstRows = (part: string, b: NonNullable<typeof f.burst> | NonNullable<typeof f.burstChannels>) => rows.push(
    [`${part}: all posted (s)`, fmt(b.postedS, 1), `floor ${fmt(b.postedFloorS, 1)}`, fmt(b.postedS / b.postedFloorS), '<= 1.2x floor + 5 s', ok(within(b.postedS, b.postedFloorS) && b.postedOnce)],
    [`${part}: all applied+told (s)`, fmt(b.doneS, 1), `floor ${fmt(b.doneFloorS, 1)}`, fmt(b.doneS / b.doneFloorS), '<= 1.2x floor + 5 s', ok(within(b.doneS, b.doneFloorS) && b.appliedOnce && b.toldOnce)],
    [`${part}: slowest ack (ms)`, fmt(b.ackMaxMs, 0), '', '', '<= 3000 ms', ok(b.ackMaxMs <= 3000)],
  );
  if (f.burst) burstRows('burst', f.burst);
  if (f.burstChannels) burstRows('burst-channels', f.burstChannels);
  if (f.reviews) {
    const v = f.reviews;
    rows.push(
      [`reviews: start ${v.items} items (s)`, fmt(v.startS, 2), '', '', '', ''],
      [`reviews: ${v.reviewers} reviewers' DMs (s)`, fmt(v.dmsS, 1), `floor ${fmt(v.dmsFloorS, 1)}`, `lane ${fmt(v.laneFloorS, 1)}`, '<= 1.2x floor + 5 s', ok(within(v.dmsS, v.dmsFloorS) && v.dmsOnce)],
    );
  }
  // A part left out with --only: not run, rather than missed.
  for (const r of rows) if (r[1] === 'n/a' && r[5] === 'MISSED') r[5] = 'not run';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 || c >= 4 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const notes = [
    `Keywarden bench${f.quick ? ' (--quick)' : ''}: store ${f.store}, ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB, node ${m.node}, ${seconds.toFixed(0)} s`,
    '',
    line(rows[0]!),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(1).map(line),
    '',
    `ack: ${f.ack.ours.latency.count} / ${f.ack.bare.latency.count} commands measured, p90 ${fmt(f.ack.ours.latency.p90)} / ${fmt(f.ack.bare.latency.p90)} ms, max ${fmt(f.ack.ours.latency.max)} / ${fmt(f.ack.bare.latency.max)} ms, ` +
      `load-generator send lag (worst slice p99) ${fmt(f.ack.ours.sendLagP99)} / ${fmt(f.ack.bare.sendLagP99)} ms; ${f.ack.slices} alternating slices; ${f.ack.answered}/${f.ack.sent} commands answered on their response_url` +
      failures(f.ack.ours.failures) + failures(f.ack.bare.failures),
    `ack: CPU per command ${fmt(f.ack.ours.cpuMsPerCommand)} ms (server, incl. the work after the ack) / ${fmt(f.ack.bare.cpuMsPerCommand)} ms (bare Bolt); ` +
      `Slack calls ${Object.entries(f.ack.slackCalls).map(([m, n]) => `${m} ${n}`).join(', ')}`,
    `apply: ${f.apply.n} requests in ${fmt(f.apply.oursMs / 1000)} s (no-op worker ${f.apply.bareRunsMs.map((ms) => fmt(ms / 1000)).join(' s before, ')} s after); ` +
      `CPU per job ${fmt(f.apply.oursCpuMs)} ms (server) / ${fmt(f.apply.bareCpuMs)} ms (no-op worker process), ${fmt(f.apply.slackCpuMs)} ms in the fake Slack; ` +
      `statuses ${JSON.stringify(f.apply.statuses)}; ${f.apply.updates} approval messages rewritten`,
    `exchange: ${f.exchange.ours.latency.count} / ${f.exchange.bare.latency.count} exchanges in ${f.exchange.slices} alternating slices, p50 ${fmt(f.exchange.ours.latency.p50)} / ${fmt(f.exchange.bare.latency.p50)} ms, ` +
      `p99 ${fmt(f.exchange.ours.latency.p99)} / ${fmt(f.exchange.bare.latency.p99)} ms, CPU per exchange ${fmt(f.exchange.ours.cpuMs, 3)} / ${fmt(f.exchange.bare.cpuMs, 3)} ms` + failures(f.exchange.ours.failures) + failures(f.exchange.bare.failures),
    `scan: median of 3 scans per size (${Object.entries(f.scan.runs).map(([n, r]) => `${n}: ${r.map((x) => fmt(x, 0)).join('/')}`).join(', ')} ms), 100 warnings posted per scan; inserting took ${Object.entries(f.scan.insertMs).map(([n, ms]) => `${n}: ${fmt(ms / 1000, 1)} s`).join(', ')}; ` +
      `scan process peak RSS ${fmt(f.scan.rssMb ?? NaN, 0)} MB (not the server figure above)`,
    f.burst
      ? `burst: ${f.burst.n} requests then ${f.burst.n} approvals against Slack's limits; ${f.burst.acks} commands and clicks acked; posted once ${f.burst.postedOnce}, ` +
        `applied once ${f.burst.appliedOnce}, told once ${f.burst.toldOnce}; 429s by method ${JSON.stringify(f.burst.limited)}`
      : 'burst: not run (--quick or --only)',
    f.burstChannels
      ? `burst-channels: ${f.burstChannels.channels} channels in ${f.burstChannels.teams} Slack workspaces x ${f.burstChannels.perChannel} requests, then all approved; ${f.burstChannels.acks} commands and clicks acked; ` +
        `posted once ${f.burstChannels.postedOnce}, applied once ${f.burstChannels.appliedOnce}, told once ${f.burstChannels.toldOnce}; 429s by limit ${JSON.stringify(f.burstChannels.limited)}`
      : 'burst-channels: not run (--quick or --only)',
    f.reviews
      ? `reviews: ${f.reviews.items} items, ${f.reviews.reviewers} reviewers, against Slack's limits; each DM once ${f.reviews.dmsOnce}; the DMs' floor by Slack's limits ${fmt(f.reviews.dmsFloorS, 1)} s (one DM per channel), ` +
        `by the outbound path's per-Slack-workspace cap (chat.postMessage one a ${SLACK_LANE_LIMITS.postPerTeam!.intervalMs} ms, after a burst) ${fmt(f.reviews.laneFloorS, 1)} s; 429s by method ${JSON.stringify(f.reviews.limited)}`
      : 'reviews: not run (--quick or --only)',
    ...([[`within ${fmt(g.windowMs / 1000, 0)} s`, g], ['at the same instant', gp]] as const).map(([when, b]) =>
      `grants: ${b.n} ending ${when} (scheduled in ${fmt(b.scheduleMs / 1000, 1)} s), one worker: reverted ${b.reverted}, DMs ${b.dms}, approval-thread lines ${b.threadLines}; ` +
      `lateness of the revert p50/p90/p99/max ${[b.revertLateness.p50, b.revertLateness.p90, b.revertLateness.p99, b.revertLateness.max].map((x) => fmt(x, 0)).join('/')} ms, ` +
      `of the DM at Slack ${[b.dmLateness.p50, b.dmLateness.p90, b.dmLateness.p99, b.dmLateness.max].map((x) => fmt(x, 0)).join('/')} ms; ${fmt(b.perSecond, 0)} ends/s from the first end to the last`),
    lx
      ? `leanix apply: ${lx.apply.n} changes, ${lx.apply.concurrency} at once, at ${lx.apply.latencyMs} ms a call, ${fmt(lx.apply.callsPerChange.ours, 2)} / ${fmt(lx.apply.callsPerChange.bare, 2)} HTTP calls a change (ours / bare); ` +
        `ours ${fmt(lx.apply.oursMs / 1000)} s, bare ${lx.apply.bareRunsMs.map((x) => fmt(x / 1000)).join(' s before, ')} s after; ${lx.apply.applied} of ${lx.apply.n} APPLIED\n` +
        `leanix: ${lx.permissions} permissions + ${lx.technicalUsers} technical users at ${lx.latencyMs} ms a call, ${lx.calls.ours} / ${lx.calls.bare} HTTP calls a full read (ours / bare); ` +
        `syncs ${lx.syncMs.map((x) => fmt(x, 0)).join('/')} ms, bare reads ${lx.bareMs.map((x) => fmt(x, 0)).join('/')} ms; first sync wrote ${lx.firstWrites} records, the unchanged ones ${lx.unchangedWrites.join('/')}`
      : 'leanix: not run (--only)',
    `grants: due read (100 due, limit 200) median/p90 ${Object.keys(f.grants.dueReadMs).map((n) => `${n}: ${fmt(f.grants.dueReadMs[n]!, 3)}/${fmt(f.grants.dueReadP90Ms[n]!, 3)}`).join(', ')} ms; ` +
      `inserting took ${Object.entries(f.grants.insertMs).map(([n, ms]) => `${n}: ${fmt(ms / 1000, 1)} s`).join(', ')}`,
  ];
  return { table: notes.join('\n'), json };
}

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}
