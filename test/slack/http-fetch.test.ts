/**
 * slackFetch, the node:http fetch behind the Slack clients: what it sends and answers, that it
 * reuses connections, fails like the built-in fetch, and leaves what it does not handle to it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BufferedResponse, slackFetch } from '../../src/slack/http-fetch.js';
import { FakeSlack } from '../helpers/fake-slack.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string; socket: unknown }

let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString(), socket: req.socket });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  seen.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => (_: IncomingMessage, res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));

describe('slackFetch', () => {
  it('posts the body and headers it is given and answers with a buffered Response', async () => {
    answer = json(200, { ok: true, ts: '1.2' }, { 'x-slack-req-id': 'abc' });
    const res = await slackFetch(`${base}/api/chat.postMessage`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Bearer xoxb-1' }, body: 'channel=C1&text=h%C3%A9',
    });
    expect(res).toBeInstanceOf(BufferedResponse);
    expect([res.status, res.ok, res.url]).toEqual([200, true, `${base}/api/chat.postMessage`]);
    expect(res.headers.get('x-slack-req-id')).toBe('abc');
    expect(await res.json()).toEqual({ ok: true, ts: '1.2' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/chat.postMessage', body: 'channel=C1&text=h%C3%A9' });
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-1', 'content-length': '23' });
  });

  it('answers errors and empty bodies as they are, and keeps the connection for the next call', async () => {
    answer = json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '3' });
    const limited = await slackFetch(`${base}/a`, { method: 'POST', body: '{}' });
    expect([limited.status, limited.ok, limited.headers.get('retry-after')]).toEqual([429, false, '3']);
    expect(await limited.text()).toContain('ratelimited');
    answer = (_, res) => res.writeHead(204).end();
    const empty = await slackFetch(`${base}/b`, { method: 'POST', body: new TextEncoder().encode('x') });
    expect([empty.status, await empty.text()]).toEqual([204, '']);
    expect(seen[1]!.socket).toBe(seen[0]!.socket);
  });

  it('reads its body once, as a Response does, and gives the stream, a clone or a blob when asked', async () => {
    answer = json(200, { ok: true, n: 1 });
    const res = await slackFetch(`${base}/c`, { method: 'POST', body: '' });
    const copy = res.clone();
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe('{"ok":true,"n":1}');
    expect(res.bodyUsed).toBe(true);
    await expect(res.json()).rejects.toThrow(TypeError);
    expect(() => res.clone()).toThrow(TypeError);
    expect(await new Response(copy.body).json()).toEqual({ ok: true, n: 1 });
    expect(await copy.clone().blob()).toMatchObject({ type: 'application/json', size: 17 });
    answer = json(200, 'not json');
    await expect((await slackFetch(`${base}/d`, { method: 'POST', body: '' })).json()).resolves.toBe('not json');
    answer = (_, res) => res.writeHead(200).end('{');
    await expect((await slackFetch(`${base}/e`, { method: 'POST', body: '' })).json()).rejects.toThrow(SyntaxError);
  });

  it('fails like the built-in fetch: a TypeError for an unreachable server, the abort for a signal', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(slackFetch(`http://127.0.0.1:${port}/x`, { method: 'POST', body: '' })).rejects.toThrow(TypeError);

    answer = (_, res) => setTimeout(() => res.end('late'), 500);
    await expect(slackFetch(`${base}/slow`, { method: 'POST', body: '', signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a redirect when asked to, and otherwise lets the built-in fetch follow it', async () => {
    answer = (req, res) => (req.url === '/moved' ? res.writeHead(307, { location: '/here' }).end() : json(200, { here: true })(req, res));
    await expect(slackFetch(`${base}/moved`, { method: 'POST', body: 'a=1', redirect: 'error' })).rejects.toThrow(TypeError);
    const followed = await slackFetch(`${base}/moved`, { method: 'POST', body: 'a=1' });
    expect(await followed.json()).toEqual({ here: true });
  });

  it('leaves bodies it does not handle (a file upload) to the built-in fetch', async () => {
    answer = json(200, { ok: true });
    const form = new FormData();
    form.append('file', new Blob(['data']), 'f.txt');
    await slackFetch(`${base}/upload`, { method: 'POST', body: form });
    expect(seen[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen[0]!.body).toContain('data');
  });

  it('carries a real Web API call, as Keywarden makes them', async () => {
    const slack = await FakeSlack.start();
    try {
      const client = new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, fetch: slackFetch, retryConfig: { retries: 0 } });
      const res = await client.chat.postMessage({ channel: 'C1', text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] });
      expect(res).toMatchObject({ ok: true, channel: 'C1' });
      const call = await slack.waitFor('chat.postMessage');
      expect(call).toMatchObject({ token: 'xoxb-test', args: { channel: 'C1', text: 'hello', blocks: [{ type: 'section' }] } });
    } finally {
      await slack.stop();
    }
  });
});
