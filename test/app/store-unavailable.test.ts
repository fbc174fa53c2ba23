/**
 * The MongoDB driver's "no answer" errors are the store's outage answer (503 on the API, "cannot
 * reach its database" in Slack), built here as the driver builds them; a bug or a rule is not.
 */
import {
  MongoNetworkError, MongoNetworkTimeoutError, MongoOperationTimeoutError, MongoServerError, MongoServerSelectionError,
  MongoTopologyClosedError, MongoWriteConcernError,
} from 'mongodb';
import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../src/api/http-error.js';
import { isStoreUnavailable, StoreUnavailableError } from '../../src/app/store-unavailable.js';
import { createLog } from '../../src/log.js';
import { errorText, STORE_UNAVAILABLE_TEXT } from '../../src/slack/reply.js';

const server = (code: number, codeName: string) => new MongoServerError({ message: codeName, code, codeName });

describe('store unavailable', () => {
  const outages = {
    'a socket timeout (socketTimeoutMS)': new MongoNetworkTimeoutError('connection 3 to 10.0.0.5:27017 timed out'),
    'a dropped connection': new MongoNetworkError('connection closed'),
    'no server found (serverSelectionTimeoutMS)': new MongoServerSelectionError('Server selection timed out after 5000 ms', { servers: new Map() } as never),
    'the client-side operation timeout': new MongoOperationTimeoutError('Timed out during operation execution'),
    'a closed topology': new MongoTopologyClosedError(),
    'MaxTimeMSExpired': server(50, 'MaxTimeMSExpired'),
    'NotWritablePrimary': server(10107, 'NotWritablePrimary'),
    'PrimarySteppedDown': server(189, 'PrimarySteppedDown'),
    'InterruptedDueToReplStateChange': server(11602, 'InterruptedDueToReplStateChange'),
    'ShutdownInProgress': server(91, 'ShutdownInProgress'),
    'a write concern timeout after a step-down': new MongoWriteConcernError({ writeConcernError: { code: 189, errmsg: 'stepped down' } } as never),
    'an adapter\'s own': new StoreUnavailableError('down'),
  };

  it.each(Object.entries(outages))('counts %s as an outage: 503 on the API, the outage text in Slack', (_, err) => {
    expect(isStoreUnavailable(err)).toBe(true);
    expect(toHttpError(err)?.status).toBe(503);
    expect(errorText(err, createLog('silent'), {})).toBe(STORE_UNAVAILABLE_TEXT);
  });

  it('does not count a duplicate key, a bad query, a TypeError or a non-error as one', () => {
    for (const err of [server(11000, 'DuplicateKey'), server(2, 'BadValue'), new TypeError('x'), { name: 'MongoNetworkError' }, 'MongoNetworkError']) {
      expect(isStoreUnavailable(err)).toBe(false);
    }
  });
});
