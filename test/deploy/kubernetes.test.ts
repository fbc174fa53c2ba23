/**
 * deploy/kubernetes stays true to the code, as test/manifest.test.ts keeps manifest.yml true to
 * Slack: every setting the manifests give is one config.ts reads, and together they parse; secret
 * settings come only from the Secret; the port and the probe paths are the ones the server
 * answers; each role has its Deployment, a PodDisruptionBudget that selects it, and memory
 * requests at least the bench's measured peak. No cluster runs here, so this is what can be
 * checked of the files without one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Store } from '../../src/app/ports.js';
import { loadConfig, SETTINGS } from '../../src/config.js';
import { healthRoutes } from '../../src/http/health.js';

const dir = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes');
const root = join(import.meta.dirname, '..', '..');

type Doc = Record<string, any>;
const read = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as Doc;
  });
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
const all = files.flatMap((f) => read(f).map((doc) => ({ file: f, doc })));
const of = (kind: string) => all.filter((d) => d.doc['kind'] === kind).map((d) => d.doc);

const configMap = of('ConfigMap').find((c) => c['metadata'].name === 'keywarden-config')!;
const secret = of('Secret').find((s) => s['metadata'].name === 'keywarden')!;
const deployments = of('Deployment');
const byRole = (role: string) => deployments.find((d) => d['metadata'].name === `keywarden-${role}`)!;
const container = (d: Doc) => d['spec'].template.spec.containers[0] as Doc;
const isSetting = (name: string) => (SETTINGS as readonly string[]).includes(name);

/** Settings that are secrets: never in a ConfigMap or a plain `value`. */
const SECRET_SETTINGS = [
  'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET', 'KEYWARDEN_SECRET', 'ACCESS_TOKEN_PRIVATE_KEY',
  'MONGODB_URI', 'REDIS_URL', 'BULL_BOARD_PASSWORD', 'METRICS_TOKEN',
];

/** The environment a container gets: its ConfigMap and Secret (by reference), then its own env. */
function environment(d: Doc): Record<string, string> {
  const c = container(d);
  const env: Record<string, string> = {};
  for (const from of c['envFrom'] ?? []) {
    if (from.configMapRef) {
      expect(from.configMapRef.name).toBe(configMap['metadata'].name);
      Object.assign(env, configMap['data']);
    } else if (from.secretRef) {
      expect(from.secretRef.name).toBe(secret['metadata'].name);
      Object.assign(env, secret['stringData']);
    } else throw new Error(`unexpected envFrom ${JSON.stringify(from)}`);
  }
  for (const e of c['env'] ?? []) {
    expect(e.valueFrom, `${e.name}: plain values only; secrets come through the Secret`).toBeUndefined();
    env[e.name] = String(e.value);
  }
  return env;
}

describe('deploy/kubernetes', () => {
  it('lists every manifest in the kustomization, except the example Secret', () => {
    const [kustomization] = read('kustomization.yaml');
    expect([...kustomization!['resources']].sort()).toEqual(files.filter((f) => !['kustomization.yaml', 'secret.example.yaml'].includes(f)).sort());
  });

  it('has a web and a worker Deployment, each running its ROLE', () => {
    expect(deployments.map((d) => d['metadata'].name).sort()).toEqual(['keywarden-web', 'keywarden-worker']);
    for (const role of ['web', 'worker']) expect(environment(byRole(role))['ROLE']).toBe(role);
  });

  it('gives only settings config.ts reads, and with the Secret\'s keys they parse', () => {
    const names = [...Object.keys(configMap['data']), ...Object.keys(secret['stringData']), ...deployments.flatMap((d) => (container(d)['env'] ?? []).map((e: Doc) => e.name))];
    expect(names.filter((n) => !isSetting(n))).toEqual([]);
    for (const role of ['web', 'worker']) {
      const config = loadConfig(environment(byRole(role)));
      expect(config.ROLE).toBe(role);
      // Production runs MongoDB as a replica set: retryable writes need one.
      expect(config.MONGODB_URI).toMatch(/[?&]replicaSet=[^&]+/);
    }
  });

  it('takes secret settings from the Secret only', () => {
    expect(Object.keys(configMap['data']).filter((k) => SECRET_SETTINGS.includes(k))).toEqual([]);
    for (const d of deployments) expect((container(d)['env'] ?? []).filter((e: Doc) => SECRET_SETTINGS.includes(e.name))).toEqual([]);
    expect(Object.keys(secret['stringData']).filter((k) => !SECRET_SETTINGS.includes(k))).toEqual([]);
  });

  it('listens on PORT, and probes the health paths the server answers on it', () => {
    const served = healthRoutes({ store: {} as Store, redis: {} as Redis }).map((r) => r.path);
    for (const d of deployments) {
      const c = container(d);
      const port = loadConfig(environment(d)).PORT;
      expect(c['ports']).toEqual([{ name: 'http', containerPort: port }]);
      expect(c['livenessProbe'].httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c['startupProbe'].httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c['readinessProbe'].httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(served).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
    }
  });

  it('mounts the seed file where SEED_FILE points', () => {
    for (const d of deployments) {
      const seedFile = environment(d)['SEED_FILE']!;
      const mount = container(d)['volumeMounts'].find((m: Doc) => seedFile.startsWith(`${m.mountPath}/`));
      expect(mount, seedFile).toBeDefined();
      const volume = d['spec'].template.spec.volumes.find((v: Doc) => v.name === mount.name);
      expect(volume.configMap.name).toBe('keywarden-seed');
    }
  });

  it('keeps a pod of each role through voluntary disruptions, and serves only web pods to the ingress', () => {
    const budgets = of('PodDisruptionBudget');
    for (const d of deployments) {
      const labels = d['spec'].template.metadata.labels;
      expect(d['spec'].selector.matchLabels).toEqual(labels);
      const budget = budgets.filter((b) => Object.entries(b['spec'].selector.matchLabels).every(([k, v]) => labels[k] === v));
      expect(budget, d['metadata'].name).toHaveLength(1);
      expect(budget[0]!['spec'].minAvailable).toBeLessThan(d['spec'].replicas);
    }
    const [service] = of('Service');
    expect(service!['spec'].selector).toEqual(byRole('web')['spec'].template.metadata.labels);
    expect(service!['spec'].ports[0].targetPort).toBe('http');
  });

  it('requests at least the memory the bench measured, and limits above it', () => {
    const mib = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      expect(m, q).not.toBeNull();
      return Number(m![1]) * (m![2] === 'Gi' ? 1024 : 1);
    };
    const { rss_mb: rssMb } = JSON.parse(readFileSync(join(root, 'bench/results/latest.json'), 'utf8')) as { rss_mb: number };
    const peakMib = (rssMb * 1_000_000) / 1024 ** 2;
    for (const d of deployments) {
      const { requests, limits } = container(d)['resources'];
      expect(mib(requests.memory)).toBeGreaterThanOrEqual(peakMib);
      expect(mib(limits.memory)).toBeGreaterThan(mib(requests.memory));
      expect(requests.cpu).toMatch(/^\d+m$/);
    }
  });

  it('runs as the image\'s unprivileged user on a read-only filesystem', () => {
    for (const d of deployments) {
      const pod = d['spec'].template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container(d)['securityContext']).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });
});
