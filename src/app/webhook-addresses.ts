/**
 * Which addresses Keywarden may send webhooks to: https only (http for a loopback host named as
 * such), no private or link-local address without allowPrivate, never the cloud metadata service.
 * No network here: the adapter (src/webhooks/http-post.ts) resolves names and connects only to an
 * address these rules allowed.
 */
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'metadata' | 'unusable';

/** What kind of address an IP is; anything unparsable is unusable. */
export function classifyAddress(ip: string): AddressClass {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return classifyAddress(mapped[1]!);
  // The same, as URL parsing writes it: ::ffff:c0a8:101 is 192.168.1.1.
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hex) {
    const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
    return classifyAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  const v = isIP(ip);
  if (v === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    if (ip === '169.254.169.254') return 'metadata';
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a === 169 && b === 254) return 'link-local';
    if (a === 0 || a >= 224) return 'unusable';
    return 'public';
  }
  if (v === 6) {
    const x = ip.toLowerCase();
    if (x === '::1') return 'loopback';
    if (x === '::' ) return 'unusable';
    if (x === 'fd00:ec2::254') return 'metadata';
    if (/^f[cd]/.test(x)) return 'private';
    if (/^fe[89ab]/.test(x)) return 'link-local';
    if (/^ff/.test(x)) return 'unusable';
    return 'public';
  }
  return 'unusable';
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The URL names a loopback host itself (not a name that happens to resolve to one). */
export const isLoopbackHost = (host: string): boolean => LOOPBACK_NAMES.has(host.toLowerCase()) || classifyAddress(host.replace(/^\[|\]$/g, '')) === 'loopback';

/** What is wrong with a webhook URL as written (null: fine). Names are checked again, resolved, at delivery. */
export function urlProblem(raw: string, allowPrivate = false): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.username || url.password) return 'must not carry credentials (the signature authenticates Keywarden)';
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'must be https:// (http:// only for a loopback address)';
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  return isIP(literal) ? addressProblem(literal, { allowPrivate, loopbackAllowed: loopback }) : null;
}

/** Why Keywarden may not connect to this address for a hook (null: it may). */
export function addressProblem(ip: string, o: { allowPrivate: boolean; loopbackAllowed: boolean }): string | null {
  const c = classifyAddress(ip);
  switch (c) {
    case 'public':
      return null;
    case 'loopback':
      return o.loopbackAllowed || o.allowPrivate ? null : `resolves to a loopback address (${ip}); name the loopback host in the URL, or set allowPrivate`;
    case 'private':
    case 'link-local':
      return o.allowPrivate ? null : `resolves to a ${c} address (${ip}); set allowPrivate: true if that is meant`;
    case 'metadata':
      return `resolves to the cloud metadata service (${ip}), which is never allowed`;
    default:
      return `resolves to an address that cannot be used (${ip})`;
  }
}
