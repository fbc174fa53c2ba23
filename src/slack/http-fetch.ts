/**
 * The `fetch` behind every Slack call (the Web API client and Bolt's respond()): node:http(s)
 * with keep-alive agents, answering with a standard Response.
 *
 * Why not Node's built-in fetch: it passes every request and response body through web streams,
 * and `npm run bench` measured each Slack call costing about twice the CPU of a plain node:http
 * request. Slack calls are most of what a slash command and an apply job do after the store
 * (two each), so with the built-in fetch they were the largest share of the server's CPU.
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
  const response = new Response(NULL_BODY.has(status) ? null : body, { status, statusText: res.statusMessage ?? '', headers });
  // A constructed Response has no url; the Web API client reads it.
  Object.defineProperty(response, 'url', { value: url });
  return response;
}

function plainHeaders(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  const entries = h instanceof Headers ? [...h.entries()] : Array.isArray(h) ? h : Object.entries(h);
  for (const [name, value] of entries) if (value !== undefined && value !== null) out[name] = String(value);
  return out;
}
