/**
 * `npm run audit:verify -- <workspace> [--anchor <seq>:<hash>] [--json]` against the store of
 * MONGODB_URI (read from the environment or .env, as the server reads it). See src/audit/verify-command.ts.
 */
import { existsSync } from 'node:fs';
import { parseVerifyArgs, verifyCommand } from '../src/audit/verify-command.js';
import { openStore } from '../src/store/index.js';

const args = parseVerifyArgs(process.argv.slice(2));
if (typeof args === 'string') {
  console.error(args);
  process.exit(2);
}
if (existsSync('.env')) process.loadEnvFile('.env');
const uri = process.env.MONGODB_URI?.trim() || 'mongodb://127.0.0.1:27017/keywarden';
if (uri === 'memory') {
  console.error('MONGODB_URI=memory keeps history inside the server process; there is nothing here to verify.');
  process.exit(2);
}
let status = 2;
try {
  const store = await openStore(uri);
  try {
    status = await verifyCommand(store, process.argv.slice(2), (line) => console.log(line));
  } finally {
    await store.close();
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
}
process.exit(status);
