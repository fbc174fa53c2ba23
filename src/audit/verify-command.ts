/**
 * `npm run audit:verify -- <workspace> [--anchor <seq>:<hash>] [--json]`: reads a workspace's
 * whole history chain from the store and says whether it is whole, naming every changed, removed
 * or reordered line. Exit status 0 whole, 1 broken, 2 when it could not check (bad arguments, no
 * such workspace, the store unreachable). The workspace is named by id or by name.
 */
import { AuditService } from '../app/audit.js';
import type { Store } from '../app/ports.js';
import type { ChainHead, ChainReport } from '../domain/history-chain.js';
import type { Workspace } from '../domain/workspace.js';

export const VERIFY_USAGE = 'usage: npm run audit:verify -- <workspace id or name> [--anchor <seq>:<sha256 hex>] [--json]';

export interface VerifyArgs {
  workspace: string;
  anchor: ChainHead | null;
  json: boolean;
}

export function parseVerifyArgs(argv: string[]): VerifyArgs | string {
  const rest: string[] = [];
  let anchor: ChainHead | null = null;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--anchor') {
      const m = /^(\d+):([0-9a-f]{64})$/.exec(argv[++i] ?? '');
      if (!m) return `--anchor needs <seq>:<sha256 hex>, as the last page's chain.head gives it. ${VERIFY_USAGE}`;
      anchor = { seq: Number(m[1]), hash: m[2]! };
    } else if (a.startsWith('--')) return `unknown option ${a.slice(0, 40)}. ${VERIFY_USAGE}`;
    else rest.push(a);
  }
  if (rest.length !== 1) return VERIFY_USAGE;
  return { workspace: rest[0]!, anchor, json };
}

/** Runs the check; writes the report with `out`; returns the exit status. */
export async function verifyCommand(store: Store, argv: string[], out: (line: string) => void): Promise<number> {
  const args = parseVerifyArgs(argv);
  if (typeof args === 'string') {
    out(args);
    return 2;
  }
  const ws = await findWorkspace(store, args.workspace);
  if (!ws) {
    out(`There is no workspace with the id or name ${JSON.stringify(args.workspace.slice(0, 80))}.`);
    return 2;
  }
  const report = await new AuditService({ store }).verify(ws.id, args.anchor);
  if (args.json) out(JSON.stringify(report));
  else for (const line of describe(report, ws.retiredAt ? `${ws.name}, retired ${ws.retiredAt.toISOString().slice(0, 10)}` : ws.name)) out(line);
  return report.whole ? 0 : 1;
}

function describe(r: ChainReport, name: string): string[] {
  const head = r.head ? `head: line ${r.head.seq}, hash ${r.head.hash}` : 'no lines yet';
  if (r.whole) {
    return [`The history of ${name} (${r.workspaceId}) is whole: ${r.lines} lines, every link intact.`, head, 'Keep the head: given as --anchor later, it proves nothing up to it was rewritten or cut off.'];
  }
  return [
    `The history of ${name} (${r.workspaceId}) is NOT whole: ${r.problems.length} problem(s) in ${r.lines} lines.`,
    ...r.problems.map((p) => `  ${p.kind.padEnd(9)} ${p.message}`),
    head,
  ];
}

/**
 * The workspace by id or name, active or retired: the lookups of the rest of Keywarden see active
 * workspaces only, but a retired workspace's history is kept and is what an auditor checks most.
 */
async function findWorkspace(store: Store, idOrName: string): Promise<Workspace | null> {
  const { workspaces } = store;
  return (await workspaces.findRecord(idOrName)) ?? (await workspaces.findByName(idOrName))
    ?? (await workspaces.listRetired()).find((w) => w.name === idOrName) ?? null;
}
