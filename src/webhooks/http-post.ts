/**
 * One webhook POST. The host name is resolved here, at delivery, and the connection goes to the
 * address that was checked (a `lookup` of our own), so a name that resolves to a public address
 * when the seed is read and to 169.254.169.254 a minute later (DNS rebinding) is refused. No
 * redirects are followed; the answer's body is read only to free the socket.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressProblem, isLoopbackHost } from '../app/webhook-addresses.js';

export interface PostResult {
  /** The HTTP status, or null when no answer came (refused, timed out, address not allowed). */
  status: number | null;
  /** Why, when there was no answer: for the log and the failure metric, never with the secret. */
  error?: string;
}

export type WebhookPoster = (url: string, body: string, headers: Record<string, string>, o: { allowPrivate: boolean }) => Promise<PostResult>;

export class AddressRefused extends Error {
  override name = 'AddressRefused';
}

/** A poster with a bound on the whole exchange (a slow receiver holds one hook's delivery, nothing else). */
export function httpPoster(timeoutMs = 10_000, resolve: typeof dnsLookup = dnsLookup): WebhookPoster {
  return (raw, body, headers, o) => new Promise<PostResult>((answer) => {
    const url = new URL(raw);
    const loopbackAllowed = isLoopbackHost(url.hostname);
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal)) {
      const problem = addressProblem(literal, { allowPrivate: o.allowPrivate, loopbackAllowed });
      if (problem) return answer({ status: null, error: `the URL ${problem}` });
    }
    const lookup: LookupFunction = (hostname, options, callback) => {
      resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) return callback(err, '', 0);
        // Every address must be allowed: one bad answer among good ones is still a bad name.
        for (const a of addresses) {
          const problem = addressProblem(a.address, { allowPrivate: o.allowPrivate, loopbackAllowed });
          if (problem) return callback(new AddressRefused(`${hostname} ${problem}`), '', 0);
        }
        const first = addresses[0];
        if (!first) return callback(new AddressRefused(`${hostname} did not resolve`), '', 0);
        if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, first.address, first.family);
      });
    };
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      answer(r);
    };
    const req = client.request(url, {
      method: 'POST', lookup, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Keywarden-Webhooks/1', ...headers },
    }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => done({ status: res.statusCode ?? null }));
      res.on('error', (err) => done({ status: res.statusCode ?? null, error: err.message }));
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => done({ status: null, error: err.message.slice(0, 200) }));
    req.end(body);
  });
}
