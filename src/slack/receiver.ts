/**
 * A Bolt receiver for our own HTTP server. We verify Slack's signature ourselves because Bolt's
 * check refuses stale timestamps but lets future ones through; a request signed more than five
 * minutes from now, either way, is refused here. Everything after verification is Bolt's.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver } from '@slack/bolt';
import { HTTPResponseAck, type AckFn } from '@slack/bolt';
import type { Clock, Log } from '../app/ports.js';
import { logRefusal } from '../app/refusal.js';
import { boltLogger } from './bolt-logger.js';
import type { ReplayGuard } from './replay-guard.js';
import { readBody, sendJson } from '../http/http-util.js';
import { clientAddress } from '../http/client-address.js';

const MAX_SKEW_SECONDS = 300;
/** The answer when processing failed before any listener answered. */
export const LISTENER_FAILED_TEXT = 'Something went wrong on our side and nothing was changed. Please try again.';
const BODY_LIMIT = 1024 * 1024;

/** Verifies `v0=` HMAC-SHA256 signatures with a symmetric time window. Pure, for tests too. */
export function verifySlackSignature(args: {
  signingSecret: string;
  body: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowSeconds: number;
}): { ok: true } | { ok: false; reason: string } {
  const ts = Number(args.timestamp);
  if (!args.timestamp || !/^\d{1,12}$/.test(args.timestamp) || !Number.isFinite(ts)) {
    return { ok: false, reason: 'missing or malformed x-slack-request-timestamp' };
  }
  if (Math.abs(args.nowSeconds - ts) > MAX_SKEW_SECONDS) {
    return { ok: false, reason: 'timestamp more than 5 minutes from now (replayed or future-dated)' };
  }
  const expected = `v0=${createHmac('sha256', args.signingSecret).update(`v0:${args.timestamp}:${args.body}`).digest('hex')}`;
  const given = Buffer.from(args.signature ?? '');
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true };
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const form = Object.fromEntries(new URLSearchParams(raw));
  // Interactions arrive as a form with one field, `payload`, holding JSON.
  return typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
}

export class SignedHttpReceiver implements Receiver {
  private app: App | undefined;

  constructor(
    private readonly opts: { signingSecret: string; log: Log; clock: Clock; replayGuard?: ReplayGuard },
  ) {}

  init(app: App): void {
    this.app = app;
  }

  // The HTTP server is ours (see api/server.ts); Bolt only gets the requests for /slack/events.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { log, clock, signingSecret } = this.opts;
    let raw: string;
    try {
      raw = await readBody(req, BODY_LIMIT);
    } catch {
      return sendJson(res, 413, { ok: false, error: 'body too large' });
    }
    const header = (n: string) => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
    const verdict = verifySlackSignature({
      signingSecret, body: raw, signature: header('x-slack-signature'),
      timestamp: header('x-slack-request-timestamp'), nowSeconds: Math.floor(clock.now().getTime() / 1000),
    });
    const who = { address: clientAddress(req) };
    if (!verdict.ok) {
      logRefusal(log, { refusal: 'SLACK.BAD_SIGNATURE', who, what: { path: req.url?.slice(0, 200), reason: verdict.reason } });
      return sendJson(res, 401, { ok: false, error: 'invalid signature' });
    }
    // Checked only once the signature is good, so nobody can use up someone else's signature;
    // and only after the ack has been sent (see guardAck), so its Redis round trip does not delay
    // the ack.
    const signature = header('x-slack-signature')!;
    let seen: Promise<boolean> | undefined;
    const firstSeen = () => (seen ??= this.opts.replayGuard?.firstSeen(signature) ?? Promise.resolve(true));
    const refuseReplay = () =>
      logRefusal(log, { refusal: 'SLACK.REPLAYED', who, what: { path: req.url?.slice(0, 200), timestamp: header('x-slack-request-timestamp') } });
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, header('content-type'));
    } catch {
      return sendJson(res, 400, { ok: false, error: 'malformed body' });
    }
    if (body.ssl_check === '1') return sendJson(res, 200, {});
    if (body.type === 'url_verification') return sendJson(res, 200, { challenge: body.challenge });

    const ack = new HTTPResponseAck({
      logger: boltLogger(log),
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
    });
    const retry = header('x-slack-retry-num');
    try {
      await this.app?.processEvent({
        body,
        ack: guardAck(ack, firstSeen, refuseReplay),
        retryNum: retry ? Number.parseInt(retry, 10) : undefined,
        retryReason: header('x-slack-retry-reason'),
      });
    } catch (err) {
      if (err instanceof ReplayedRequest) return; // acked, then refused and logged by guardAck
      log.error({ err }, 'a Slack listener failed');
      // Answer Slack if the listener never did, so the user sees no timeout; never a stack trace.
      // (ack.ack() alone only marks the request acknowledged and stops Bolt's 3-second fallback:
      // it sends nothing, which left the HTTP request open for good.)
      if (!res.headersSent) {
        ack.ack();
        sendJson(res, 200, { response_type: 'ephemeral', text: LISTENER_FAILED_TEXT });
      }
    }
  }
}

/**
 * Thrown from the ack of a replayed request: the listener awaiting the ack stops there, before
 * any side effect. It carries a code so Bolt passes it on unwrapped (and app.ts stays quiet).
 */
export class ReplayedRequest extends Error {
  readonly code = 'keywarden_replayed_request';

  constructor() {
    super('replayed Slack request refused');
    this.name = 'ReplayedRequest';
  }
}

/**
 * Bolt's ack, followed by the replay check. Every listener here acks before it changes anything
 * (and Bolt acks events before their listeners run), so a replay is stopped at its ack: the ack
 * throws ReplayedRequest instead of returning, and nothing is done twice.
 *
 * The check comes after the answer is sent rather than before: awaited first, its Redis round
 * trip was most of the gap between our ack and a bare Bolt app's (`npm run bench`: p50 1.6x the
 * bare app's, 1.2x with the check after). The price is that a replay is answered like the
 * original (an empty ack, or the usage text) instead of 401; that answer tells the sender nothing
 * the captured request did not, and the replay is refused and logged all the same.
 */
function guardAck(ack: HTTPResponseAck, firstSeen: () => Promise<boolean>, refuse: () => void): AckFn<unknown> {
  const send = ack.bind();
  let refused = false;
  return async (response) => {
    await send(response);
    if (refused || !(await firstSeen())) {
      if (!refused) refuse();
      refused = true;
      throw new ReplayedRequest();
    }
  };
}
