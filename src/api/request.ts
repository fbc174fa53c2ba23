/**
 * Reading what a caller sent, defensively: bodies up to a limit (413 beyond it, answered rather
 * than cut off), JSON that may be anything, and query parameters that must be plain single strings.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';

export const MAX_BODY_BYTES = 64 * 1024;

const tooLarge = (limit: number) =>
  // The rest of the body is not read: the connection closes after the answer.
  new HttpError(413, `The body is larger than ${limit / 1024} KB.`, { connection: 'close' });

/**
 * The body as UTF-8, at most `limit` bytes. Unlike http-util's readBody it does not destroy the
 * socket when the limit is passed, so the caller still gets its 413.
 */
export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Not destroyed (that would take the answer with it): the rest is read and dropped.
      stop();
      req.resume();
      reject(tooLarge(limit));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error) => {
      stop();
      reject(err);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** The body parsed as JSON (any JSON value); 415 for another declared type, 400 when it is not JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, `Send the body as application/json, not ${type.slice(0, 60)}.`);
  }
  const text = await readBody(req);
  if (text.trim() === '') throw new HttpError(400, 'The body is empty; send the permission as JSON.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'The body is not valid JSON.');
  }
}

/**
 * The query parameters `allowed`, each at most once and a plain string. Anything else is refused
 * rather than ignored: `email[$gt]=` or a repeated `email` is a mistake (or a probe), and a typo
 * such as `mail=` silently matching everything would be worse than a 400.
 */
export function queryParams<K extends string>(url: URL, allowed: readonly K[], maxLength = 256): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const [key, value] of url.searchParams) {
    const name = JSON.stringify(key.slice(0, 40));
    if (!(allowed as readonly string[]).includes(key)) {
      throw new HttpError(400, `Unknown query parameter ${name}; use ${allowed.join(', ')}.`);
    }
    if (Object.hasOwn(out, key)) throw new HttpError(400, `The query parameter ${name} may be given only once.`);
    if (value.length > maxLength) throw new HttpError(400, `The query parameter ${name} is longer than ${maxLength} characters.`);
    out[key as K] = value;
  }
  return out;
}

/** A path segment as sent, decoded; one that does not decode is kept as it is (and matches nothing). */
export function pathSegment(s: string | undefined): string {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s ?? '';
  }
}
