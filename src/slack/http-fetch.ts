/**
 * The `fetch` behind every Slack call (the Web API client, Bolt's respond() and our answers to a
 * response_url): node:http(s) with keep-alive agents, answering with a buffered Response.
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
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

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
  const res = await send(url, init, body ?? undefined);
  if (REDIRECT.has(res.status)) {
    if (init.redirect === 'error') throw new TypeError('fetch failed', { cause: new Error(`redirected (${res.status})`) });
    if (init.redirect !== 'manual') return fetch(input, init); // let the built-in fetch follow it
  }
  return res;
};

function send(url: string, init: RequestInit, body: string | Uint8Array | undefined): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const https = /^https:/i.test(url);
    const headers = plainHeaders(init.headers);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
      headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    }
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: init.method ?? 'GET',
      headers,
      agent: https ? agents.https : agents.http,
      ...(init.signal && { signal: init.signal }),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(toResponse(url, res, Buffer.concat(chunks)));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    // As the built-in fetch does, a failed request rejects with a TypeError whose cause says why.
    req.on('error', (err) => reject(err.name === 'AbortError' ? err : new TypeError('fetch failed', { cause: err })));
    req.end(body);
  });
}

function toResponse(url: string, res: IncomingMessage, body: Buffer): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return new BufferedResponse(url, status, res.statusMessage ?? '', headers, NULL_BODY.has(status) ? null : body);
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
