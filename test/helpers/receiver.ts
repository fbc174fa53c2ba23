/**
 * A webhook receiver on loopback for tests: records every POST (raw body and headers) and answers
 * what the test says (a status, or nothing until a gate opens), and verifies signatures with the
 * very code docs/webhooks.md shows (extracted from the page, so the page cannot drift).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  json: any;
  /** What the receiver answered (null: it held the request until the client gave up). */
  answered: number | null;
}

export type Behaviour = (n: number, r: Received) => number | Promise<number>;

export class Receiver {
  readonly got: Received[] = [];
  behave: Behaviour = () => 200;
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(port = 0): Promise<Receiver> {
    let self: Receiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const r: Received = { headers: req.headers, raw, json: JSON.parse(raw), answered: null };
        self!.got.push(r);
        const status = await self!.behave(self!.got.length, r);
        if (res.destroyed) return;
        r.answered = status;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    self = new Receiver(server, (server.address() as AddressInfo).port);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** The events taken (answered 2xx), first time each, in the order they were taken. */
  taken(): any[] {
    const seen = new Set<string>();
    return this.got.filter((r) => r.answered !== null && r.answered < 300 && !seen.has(r.json.id) && seen.add(r.json.id)).map((r) => r.json);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (bound, then closed): a receiver that is down. */
export async function closedPort(): Promise<number> {
  const r = await Receiver.start();
  await r.stop();
  return r.port;
}

/** The receiver's verification exactly as docs/webhooks.md shows it. */
export async function docsVerifier(): Promise<(secret: string, header: unknown, raw: string) => boolean> {
  const page = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const section = page.slice(page.indexOf('## Verifying the signature'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('docs/webhooks.md shows no verification code');
  const dir = mkdtempSync(join(tmpdir(), 'keywarden-verify-'));
  try {
    const file = join(dir, 'verify.mjs');
    writeFileSync(file, code);
    const mod = (await import(pathToFileURL(file).href)) as { verifyKeywarden: (s: string, h: unknown, b: string) => boolean };
    return mod.verifyKeywarden;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
