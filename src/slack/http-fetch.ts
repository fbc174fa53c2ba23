/**
 * The HTTP under every Slack call: node:http(s) with keep-alive agents. `httpRequest` is what our
 * own Web API client (slack-client.ts) posts with; `slackFetch` wraps it as the `fetch` of Bolt's
 * client, Bolt's respond() and our answers to a response_url, answering with a buffered Response.
 *
 * Why not Node's built-in fetch: it passes every request and response body through web streams.
 * A Slack answer is a few hundred bytes of JSON that the clients read whole, yet building the
 * standard Response around it (a ReadableStream per answer) cost about 200 µs of CPU per call
 * here. Measured per Web API call (WebClient.chat.update against a loopback server): about 600 µs
 * of CPU with the built-in fetch or node:http plus a standard Response, about 350 µs with node:http
 * plus the buffered one below. Slack calls are most of what a slash command and an apply job do
 * after the store (two each), so they were the largest share of the server's CPU.
 *
 * Only what the Slack clients send takes this path: POSTs of a string or bytes to an http(s) URL.
 * Anything else (a file upload's FormData, a Request object) and any redirect that should be
 * followed go to the built-in fetch, so behaviour never depends on what this one leaves out.
 */
import { Agent as HttpAgent, request as httpRequestFn, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequestFn } from 'node:https';

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Statuses whose Response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([204, 205, 304]);
const REDIRECT = new Set([301, 302, 303, 307, 308]);

export const slackFetch: typeof fetch = async (input, init = {}) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : null;
  const body = init.body;
  if (url === null || !/^https?:\/\//i.test(url) || !(body == null || typeof body === 'string' || body instanceof Uint8Array)) {
    return fetch(input, init);
  }
  const answer = await httpRequest(url, { method: init.method ?? 'GET', headers: plainHeaders(init.headers), body: body ?? undefined, signal: init.signal });
  const res = toResponse(url, answer);
  if (REDIRECT.has(res.status)) {
    if (init.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`redirected (${res.status})`) });
    if (init.redirect !== 'manual') return fetch(input, init); // let the built-in fetch follow it
  }
  return res;
};

/** An HTTP answer read whole. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal | null;
  /** Gives up after this long (ms), with an error named TimeoutError; cheaper than a timeout signal. */
  timeoutMs?: number;
}

/**
 * One request on a keep-alive connection, its answer read whole. Fails like the built-in fetch:
 * a TypeError whose cause says why, or the signal's AbortError.
 */
export function httpRequest(url: string, r: HttpRequest): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const https = /^https:/i.test(url);
    const headers = r.body !== undefined && !Object.keys(r.headers).some((h) => h.toLowerCase() === 'content-length')
      ? { ...r.headers, 'content-length': String(typeof r.body === 'string' ? Buffer.byteLength(r.body) : r.body.byteLength) }
      : r.headers;
    const req = (https ? httpsRequestFn : httpRequestFn)(url, {
      method: r.method,
      headers,
      agent: https ? agents.https : agents.http,
      ...(r.signal && { signal: r.signal }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    const timer = r.timeoutMs === undefined ? undefined : setTimeout(() => {
      const err = new Error(`no answer within ${r.timeoutMs} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    }, r.timeoutMs);
    // As the built-in fetch does, a failed request rejects with a TypeError whose cause says why.
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err }));
    });
    req.end(r.body);
  });
}

function toResponse(url: string, a: HttpAnswer): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(a.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return new BufferedResponse(url, a.status, a.statusText, headers, NULL_BODY.has(a.status) ? null : a.body);
}

/**
 * A Response whose body has already arrived whole. It reads the bytes it holds instead of
 * streaming them; a caller that asks for the stream itself (`body`) or a form gets it from a
 * standard Response made then. As with any Response, text(), json() and the like read it once.
 */
export class BufferedResponse implements Response {
  readonly type = 'basic' as const;
  readonly redirected = false;
  private used = false;
  private stream: ReadableStream<Uint8Array> | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly data: Buffer | null,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The bytes as a stream, made on first use (the Slack clients never ask for it). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.data === null) return null;
    this.stream ??= new Response(this.data).body as ReadableStream<Uint8Array>;
    return this.stream;
  }

  async text(): Promise<string> {
    return this.take() && this.data ? this.data.toString('utf8') : '';
  }

  async json(): Promise<unknown> {
    // As Response.json(): an empty or malformed body rejects with a SyntaxError.
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take() && this.data ? this.data : Buffer.alloc(0);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.arrayBuffer());
  }

  async blob(): Promise<Blob> {
    return new Blob([await this.arrayBuffer()], { type: this.headers.get('content-type') ?? '' });
  }

  async formData(): Promise<FormData> {
    return new Response(await this.arrayBuffer(), { headers: this.headers }).formData();
  }

  clone(): Response {
    if (this.used) throw new TypeError('Response.clone: the body has already been read');
    return new BufferedResponse(this.url, this.status, this.statusText, new Headers(this.headers), this.data);
  }

  /** Marks the body read; a second read fails as a Response's does. */
  private take(): true {
    if (this.used) throw new TypeError('Body is unusable: the body has already been read');
    this.used = true;
    return true;
  }
}

function plainHeaders(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  const entries = h instanceof Headers ? [...h.entries()] : Array.isArray(h) ? h : Object.entries(h);
  for (const [name, value] of entries) if (value !== undefined && value !== null) out[name] = String(value);
  return out;
}
