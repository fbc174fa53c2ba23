/**
 * A usage answer that quotes a bad word shows it as text: a hostile word put in every place of
 * every command of both grammars never comes back as live markup (issue 20, finding 15: the bad
 * `/techuser owner` word was echoed unescaped, so `<!channel>` notified the whole channel).
 */
import { describe, expect, it } from 'vitest';
import { parsePermissionCommand } from '../../../src/slack/grammar/permission-command.js';
import { parseTechuserCommand } from '../../../src/slack/grammar/techuser-command.js';
import { isUsageError } from '../../../src/slack/grammar/words.js';
import { renderMrkdwn } from '../../helpers/mrkdwn.js';

const HOSTILE = ['<!channel>', '<!here>', '<@UEVIL1>', '<!subteam^SEVIL1>', '<https://x.example|y>', '_'.repeat(150)];

const TECHUSER = [
  'create ci-bot MEMBER 2031-01-31 nightly', 'rotate ci-bot', 'expiry ci-bot 2031-01-31', 'role ci-bot ADMIN for 1h why',
  'delete ci-bot', 'owner ci-bot <@U0123ABC> she runs it', 'update ci-bot description:"x" roles:a', 'list', 'history ci-bot', 'help',
];
const PERMISSION = ['role a@b.de ADMIN for 1h why', 'archive a@b.de', 'activate a@b.de', 'invite a@b.de VIEWER', 'list q status:ACTIVE', 'grants'];

/** Each command with each of its words (and one word past its end) replaced by `w`. */
const variants = (commands: string[], w: string) =>
  commands.flatMap((c) => {
    const words = c.split(' ');
    return [...words.map((_, i) => words.map((x, j) => (j === i ? w : x)).join(' ')), `${c} ${w}`, `${words[0]} ${w}`];
  });

describe('usage answers quote bad words as text', () => {
  for (const [name, parse, commands] of [['/techuser', parseTechuserCommand, TECHUSER], ['/permission', parsePermissionCommand, PERMISSION]] as const) {
    it(`${name}: no hostile word comes back live, nor longer than a short echo`, () => {
      const live: string[] = [];
      for (const w of HOSTILE) {
        for (const text of variants([...commands], w)) {
          const res = (parse as (t: string) => unknown)(text);
          if (!isUsageError(res as never)) continue;
          const error = (res as { error: string }).error;
          expect(error.length, text).toBeLessThanOrEqual(3000);
          for (const l of renderMrkdwn(error).live) if (l.startsWith('<') && !l.startsWith('<!date')) live.push(`${text} -> ${l}`);
        }
      }
      expect(live).toEqual([]);
    });
  }
});
