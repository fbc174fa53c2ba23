/**
 * docker-compose.yml and .env.example stay true to the code: what compose sets are settings
 * config.ts reads, and they parse; MongoDB runs as the replica set the URI names, with the user
 * and password the URI carries; Redis asks for the password REDIS_URL gives; only Keywarden
 * publishes a port, on the loopback interface; every variable compose reads is documented.
 * No Docker engine runs here, so this is what can be checked of the file without one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { TEST_KEYWARDEN_SECRET } from '../helpers/secret.js';

const root = join(import.meta.dirname, '..', '..');
const raw = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const envExample = readFileSync(join(root, '.env.example'), 'utf8');
/** Variables .env.example lists (`NAME=` lines). */
const documented = [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

/** Compose's interpolation, as `docker compose config` does it for ${VAR}, ${VAR:-default} and $$. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (m, name: string | undefined, def: string | undefined) =>
    m === '$$' ? '$' : env[name!] || (def ?? ''),
  );
}
const variables = [...new Set([...raw.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!))].sort();

interface Service {
  image?: string; build?: string; entrypoint?: string[]; command?: string[]; ports?: string[];
  environment?: Record<string, string>; healthcheck?: { test: string[] }; volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const load = (env: Record<string, string> = {}) => parse(interpolate(raw, env)) as { services: Record<string, Service> };
const { services } = load();
const { mongo, redis, keywarden } = services as Record<'mongo' | 'redis' | 'keywarden', Service>;
const REQUIRED = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret-123', KEYWARDEN_SECRET: TEST_KEYWARDEN_SECRET };

describe('docker-compose.yml', () => {
  it('sets only settings config.ts reads, and they parse', () => {
    const env = keywarden.environment!;
    expect(Object.keys(env).filter((k) => !(SETTINGS as readonly string[]).includes(k))).toEqual([]);
    const config = loadConfig({ ...REQUIRED, ...env });
    expect(config.PORT).toBe(3000);
    expect(config.ROLE).toBe('all');
  });

  it('runs MongoDB as the single-node replica set rs0 that MONGODB_URI names, initiated by its health check', () => {
    const start = mongo.entrypoint!.join(' ');
    expect(start).toMatch(/mongod --replSet rs0 /);
    expect(start).toMatch(/--keyFile (\S+)/);
    expect(start).toContain('exec docker-entrypoint.sh mongod');
    const check = mongo.healthcheck!.test.join(' ');
    expect(check).toContain("rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] })");
    expect(check).toContain('isWritablePrimary');
    const uri = new URL(keywarden.environment!.MONGODB_URI!);
    expect(uri.host).toBe('mongo:27017');
    expect(uri.searchParams.get('replicaSet')).toBe('rs0');
    expect(keywarden.depends_on).toEqual({ mongo: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('connects to MongoDB as the user mongo-init.js creates, with its password, whatever .env sets', () => {
    for (const env of [{} as Record<string, string>, { MONGO_KEYWARDEN_PASSWORD: 'a1b2c3d4e5f6', MONGO_ROOT_PASSWORD: 'f00dcafe1234' }]) {
      const s = load(env).services;
      const uri = new URL(s['keywarden']!.environment!.MONGODB_URI!);
      expect(uri.username).toBe(s['mongo']!.environment!.KEYWARDEN_MONGO_USERNAME);
      expect(decodeURIComponent(uri.password)).toBe(s['mongo']!.environment!.KEYWARDEN_MONGO_PASSWORD);
      expect(uri.searchParams.get('authSource')).toBe('admin');
      expect(uri.password).not.toBe(s['mongo']!.environment!.MONGO_INITDB_ROOT_PASSWORD);
    }
    expect(load({ MONGO_KEYWARDEN_PASSWORD: 'a1b2c3d4e5f6' }).services['keywarden']!.environment!.MONGODB_URI).toContain(':a1b2c3d4e5f6@');
    expect(mongo.volumes).toContain('./deploy/compose/mongo-init.js:/docker-entrypoint-initdb.d/keywarden-user.js:ro');
    const init = readFileSync(join(root, 'deploy/compose/mongo-init.js'), 'utf8');
    expect(init).toContain('process.env.KEYWARDEN_MONGO_USERNAME');
    expect(init).toContain('process.env.KEYWARDEN_MONGO_PASSWORD');
    expect(init).toContain(`roles: [{ role: 'readWrite', db: '${new URL(keywarden.environment!.MONGODB_URI!).pathname.slice(1)}' }]`);
  });

  it('gives Redis the password REDIS_URL carries', () => {
    for (const env of [{} as Record<string, string>, { REDIS_PASSWORD: '0123abcd4567ef' }]) {
      const s = load(env).services;
      const url = new URL(s['keywarden']!.environment!.REDIS_URL!);
      expect(url.host).toBe('redis:6379');
      expect(decodeURIComponent(url.password)).toBe(s['redis']!.environment!.REDIS_PASSWORD);
    }
    expect(redis.command!.join(' ')).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(redis.healthcheck!.test.join(' ')).toContain('REDISCLI_AUTH="$REDIS_PASSWORD"');
  });

  it('publishes only Keywarden\'s port, on 127.0.0.1, to the port it listens on', () => {
    expect(Object.entries(services).filter(([, s]) => s.ports).map(([name]) => name)).toEqual(['keywarden']);
    expect(keywarden.ports).toEqual([`127.0.0.1:3000:${keywarden.environment!.PORT}`]);
    for (const p of keywarden.ports!) expect(p.startsWith('127.0.0.1:')).toBe(true);
  });

  it('documents in .env.example every variable it reads', () => {
    expect(variables).toEqual(['MONGO_KEYWARDEN_PASSWORD', 'MONGO_ROOT_PASSWORD', 'REDIS_PASSWORD']);
    expect(variables.filter((v) => !documented.includes(v))).toEqual([]);
  });
});

describe('.env.example', () => {
  it('lists every setting, and nothing that is neither a setting nor a compose variable', () => {
    expect(SETTINGS.filter((s) => !documented.includes(s))).toEqual([]);
    expect(documented.filter((d) => !(SETTINGS as readonly string[]).includes(d) && !variables.includes(d))).toEqual([]);
  });
});

describe('README settings table', () => {
  it('has a row for every setting', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
    expect(SETTINGS.filter((s) => !rows.includes(s))).toEqual([]);
  });
});
