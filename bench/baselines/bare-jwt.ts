/**
 * Baseline for the token exchange: a bare node:http server doing the least a real exchange must:
 * read Basic auth and the form body, look the API token's SHA-256 up, and sign the same ES256
 * JWT (same header and claims) with jose. No framework, no store, no logging.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { serve } from '../harness.js';

let server: Server | null = null;

serve({
  async start(a: { tokens: string[]; path: string }) {
    const { privateKey } = await generateKeyPair('ES256');
    const kid = randomUUID();
    const known = new Map(a.tokens.map((t, i) => [createHash('sha256').update(t).digest('hex'), { sub: randomUUID(), name: `bench-api-${i}` }]));
    const workspaceId = randomUUID();
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
          const [user, token] = Buffer.from(basic ?? '', 'base64').toString().split(':');
          const grant = new URLSearchParams(Buffer.concat(chunks).toString()).get('grant_type');
          const hash = createHash('sha256').update(token ?? '').digest('hex');
          const tu = user === 'apitoken' && grant === 'client_credentials' && req.url === a.path ? known.get(hash) : undefined;
          if (!tu) {
            res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
            return;
          }
          const iat = Math.floor(Date.now() / 1000);
          const jwt = await new SignJWT({ name: tu.name, workspaceId, role: 'VIEWER', tkh: hash.slice(0, 16) })
            .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
            .setIssuer('keywarden').setSubject(tu.sub).setJti(randomUUID()).setIssuedAt(iat).setExpirationTime(iat + 3600)
            .sign(privateKey);
          const body = JSON.stringify({ scope: '', expired: false, access_token: jwt, token_type: 'bearer', expires_in: 3599 });
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
        })();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  },
  async stop() {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  },
});
