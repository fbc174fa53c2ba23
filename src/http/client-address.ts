/**
 * Who sent a request, for rate limits and refusal logs. Without proxies that is the socket's peer.
 * Behind reverse proxies (a load balancer, an ingress) the peer is the nearest proxy, and every
 * client would share its one address and one rate limit; then TRUSTED_PROXIES says how many hops
 * in front of us are ours, and the client is the address the farthest of them was connected from,
 * read from X-Forwarded-For. Entries further left are whatever the client sent, so they are never
 * believed: a client cannot pick its own address.
 */
import type { IncomingMessage } from 'node:http';

const MAX_LENGTH = 64;
const resolved = new WeakMap<IncomingMessage, string>();

/** The client's address given how many proxy hops in front of us are trusted (pure, for tests). */
export function resolveClientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: number): string {
  const socket = peer ?? 'unknown';
  if (trustedProxies <= 0) return socket;
  // Each proxy appends the address it was connected from; the last entry is the nearest one's.
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const chain = [...header.split(',').map((s) => s.trim()).filter(Boolean), socket];
  // The last `trustedProxies` entries are our proxies; the one before them is the client. With
  // fewer entries than that, the request did not come through all of them: the first entry is
  // as far back as anything trusted reaches.
  const client = chain[Math.max(chain.length - 1 - trustedProxies, 0)]!;
  return client.slice(0, MAX_LENGTH);
}

/** Works out and remembers the request's client address (the HTTP server calls this first). */
export function rememberClientAddress(req: IncomingMessage, trustedProxies: number): void {
  if (trustedProxies > 0) resolved.set(req, resolveClientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies));
}

/** The request's client address, as the server worked it out. */
export function clientAddress(req: IncomingMessage): string {
  return resolved.get(req) ?? req.socket.remoteAddress ?? 'unknown';
}
