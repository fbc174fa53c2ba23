/**
 * manifest.yml stays true to the code: its slash commands are the commands Bolt registers, its bot
 * events the events it listens to, interactivity is on because actions and views are registered,
 * and its bot scopes are exactly those the Web API methods called in src/ and jobs/ need. The
 * calls are found by scanning the source for `client.<namespace>.<method>(` (or `client.<a>.<b>.<method>(`); a method missing from
 * SCOPES below fails the test, so adding a call means looking up its scope.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMemoryStore } from '../src/store/memory/memory-store.js';
import { INSTALL_SCOPES, installable } from '../src/slack/installations/installable.js';
import { createLog } from '../src/log.js';

const root = join(import.meta.dirname, '..');

/** Bot scopes each Web API method needs (docs.slack.dev, "Required scopes"). */
const SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.delete': ['chat:write'],
  'views.open': [],
  'views.publish': [],
  'views.update': [],
  'views.push': [],
  // The email in the profile needs users:read.email besides users:read.
  'users.info': ['users:read', 'users:read.email'],
  'functions.completeSuccess': [],
  'functions.completeError': [],
  'users.lookupByEmail': ['users:read', 'users:read.email'],
  'conversations.open': ['im:write'],
  'usergroups.users.list': ['usergroups:read'],
};
/** Bot scopes each event subscription needs. */
const EVENT_SCOPES: Record<string, string[]> = {
  app_home_opened: [],
  'message.im': ['im:history'],
  app_mention: ['app_mentions:read'],
  subteam_members_changed: ['usergroups:read'],
  function_executed: [],
  user_change: ['users:read'],
  // Installable mode: told when Keywarden is removed (or its token revoked); no scope needed.
  app_uninstalled: [],
  tokens_revoked: [],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}
// Comments are left out: a method named in a comment is not a call.
const code = [...sources(join(root, 'src')), ...sources(join(root, 'jobs'))]
  .map((f) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))
  .join('\n');
const all = (re: RegExp) => [...new Set([...code.matchAll(re)].map((m) => m.slice(1).filter(Boolean).join('.')))].sort();

const registered = {
  commands: all(/\bapp\.command\(\s*'([^']+)'/g),
  // app.function listens to function_executed, the event a Workflow Builder step sends.
  events: [...all(/\bapp\.event\(\s*'([^']+)'/g), ...(/\bapp\.function\(/.test(code) ? ['function_executed'] : [])].sort(),
  interactive: all(/\bapp\.(action|view|shortcut|options)\(/g),
};
/** Web API methods the code calls, plus the auth.test Bolt makes at start (app.init). */
const called = [...new Set(['auth.test', ...all(/\b\w*[cC]lient\s*\.\s*([a-z]+)\s*\.\s*([A-Za-z]+)(?:\s*\.\s*([A-Za-z]+))?\s*\(/g)])].sort();

const manifest = parse(readFileSync(join(root, 'manifest.yml'), 'utf8')) as {
  features: { app_home: { home_tab_enabled: boolean }; slash_commands: Array<{ command: string; url: string }> };
  oauth_config: { scopes: { bot: string[] }; redirect_urls?: string[] };
  settings: {
    org_deploy_enabled?: boolean;
    token_rotation_enabled?: boolean;
    event_subscriptions?: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string; message_menu_options_url?: string };
    socket_mode_enabled: boolean;
  };
};

describe('manifest.yml', () => {
  it('finds what the code registers and calls (the scan itself works)', () => {
    expect(registered.commands.length).toBeGreaterThan(0);
    expect(called).toEqual(expect.arrayContaining(['chat.postMessage', 'chat.update', 'views.open', 'views.publish', 'usergroups.users.list']));
  });

  it('declares exactly the slash commands the code registers', () => {
    expect(manifest.features.slash_commands.map((c) => c.command).sort()).toEqual(registered.commands);
  });

  it('subscribes to exactly the bot events the code listens to, and has the Home tab the listener draws', () => {
    expect([...(manifest.settings.event_subscriptions?.bot_events ?? [])].sort()).toEqual(registered.events);
    expect(manifest.features.app_home.home_tab_enabled).toBe(registered.events.includes('app_home_opened'));
  });

  it('enables interactivity because buttons and forms are registered', () => {
    expect(registered.interactive).toEqual(expect.arrayContaining(['action', 'view']));
    expect(manifest.settings.interactivity.is_enabled).toBe(registered.interactive.length > 0);
  });

  it('has an options load URL because an options listener (an external select) is registered', () => {
    expect(registered.interactive).toContain('options');
    expect(manifest.settings.interactivity.message_menu_options_url).toBe('https://YOUR-HOST/slack/events');
  });

  it('requests exactly the bot scopes the called methods, events and commands need', () => {
    const unknown = called.filter((m) => !(m in SCOPES));
    expect(unknown, 'add these methods and their scopes to SCOPES').toEqual([]);
    const unknownEvents = registered.events.filter((e) => !(e in EVENT_SCOPES));
    expect(unknownEvents, 'add these events and their scopes to EVENT_SCOPES').toEqual([]);
    const needed = new Set([
      ...called.flatMap((m) => SCOPES[m]!),
      ...registered.events.flatMap((e) => EVENT_SCOPES[e]!),
      ...(registered.commands.length ? ['commands'] : []),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });

  it('sends everything to the one endpoint in HTTP mode', () => {
    const urls = [
      ...manifest.features.slash_commands.map((c) => c.url),
      manifest.settings.interactivity.request_url,
      manifest.settings.interactivity.message_menu_options_url,
      manifest.settings.event_subscriptions?.request_url,
    ];
    expect(new Set(urls)).toEqual(new Set(['https://YOUR-HOST/slack/events']));
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('names the OAuth redirect the installable mode serves, asks an install for the manifest\'s scopes, and may be installed org-wide', () => {
    // The routes the installable mode adds (nothing is connected by building them).
    const { routes } = installable({
      oauth: { clientId: '1.2', clientSecret: '0123456789abcdef', stateSecret: 'x'.repeat(32) }, apiUrl: 'http://127.0.0.1:9/api/', keywardenSecret: 'k'.repeat(32),
      installations: createMemoryStore().slackInstallations, redis: null as never, prefix: 'p', clock: { now: () => new Date() }, log: createLog('silent'),
    });
    const paths = routes.map((r) => `${r.method} ${String(r.path)}`);
    expect(paths).toEqual(['GET /slack/install', 'GET /slack/oauth_redirect']);
    expect(manifest.oauth_config.redirect_urls).toEqual(['https://YOUR-HOST/slack/oauth_redirect']);
    expect([...INSTALL_SCOPES].sort()).toEqual([...manifest.oauth_config.scopes.bot].sort());
    // Org-wide installs (and the Workflow Builder step) need an org-ready app.
    expect(manifest.settings.org_deploy_enabled).toBe(true);
    // The shipped manifest works with one SLACK_BOT_TOKEN too: a rotating token would expire in 12 hours there.
    expect(manifest.settings.token_rotation_enabled).toBe(false);
    // Told of uninstalls only where something listens (registered in app.ts for the installable mode).
    expect(registered.events).toEqual(expect.arrayContaining(['app_uninstalled', 'tokens_revoked']));
  });
});
