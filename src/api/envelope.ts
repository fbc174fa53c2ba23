/**
 * The MTM API's response envelope, for success and failure alike:
 * `{"status":"OK","type":"Permission","errors":[],"total":N,"data":...}`. `total` counts the
 * items of a list; a single object (the answer to a POST) has total 0, as in the MTM document.
 */
import type { ServerResponse } from 'node:http';
import type { Log } from '../app/ports.js';
import { sendJson } from '../http/http-util.js';
import type { Handler } from '../http/server.js';
import { isRefusalStatus, logApiRefusal } from './api-refusals.js';
import { toHttpError } from './http-error.js';

export const RESOURCE_TYPE = 'Permission';

export interface Envelope<T> {
  status: 'OK' | 'ERROR';
  type: string;
  errors: Array<{ message: string }>;
  total: number;
  data: T | null;
}

/** `type` names what `data` holds: Permission for the MTM endpoints, Grant for Keywarden's own. */
export const listEnvelope = <T>(data: T[], type = RESOURCE_TYPE): Envelope<T[]> => ({ status: 'OK', type, errors: [], total: data.length, data });
export const oneEnvelope = <T>(data: T, type = RESOURCE_TYPE): Envelope<T> => ({ status: 'OK', type, errors: [], total: 0, data });
export const errorEnvelope = (messages: string[], type = RESOURCE_TYPE): Envelope<never> => ({
  status: 'ERROR', type, errors: messages.map((message) => ({ message })), total: 0, data: null,
});

export function sendEnvelope(res: ServerResponse, status: number, body: Envelope<unknown>, headers: Record<string, string> = {}): void {
  // Permissions are personal data: no cache keeps them.
  sendJson(res, status, body, { 'cache-control': 'no-store', ...headers });
}

/** A route whose every failure is answered in the envelope; unexpected ones are logged and a bare 500. */
export function enveloped(log: Log, handler: Handler, type = RESOURCE_TYPE): Handler {
  return async (req, res, params, url) => {
    try {
      await handler(req, res, params, url);
    } catch (err) {
      const e = toHttpError(err);
      if (!e) {
        log.error({ err, path: url.pathname }, 'unexpected error in the MTM API');
        return sendEnvelope(res, 500, errorEnvelope(['Internal error; it has been logged.'], type));
      }
      if (isRefusalStatus(e.status)) logApiRefusal(log, req, url, err, e.status);
      if (e.status === 503) log.error({ err, path: url.pathname }, 'the store is unavailable');
      sendEnvelope(res, e.status, errorEnvelope(e.messages, type), e.headers);
    }
  };
}
