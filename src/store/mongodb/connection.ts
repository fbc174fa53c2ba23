/** What the adapter reads from a MongoDB connection string, without a server. */

export const DEFAULT_DATABASE = 'keywarden';

/**
 * The database named in the URI's path (`mongodb://host/<db>?...`), or `keywarden` when there is
 * none. Deliberately not the driver's `dbName` option: that option also becomes the default
 * authSource, so passing it would change which database a user authenticates against.
 */
export function databaseName(uri: string): string {
  const afterScheme = uri.slice(uri.indexOf('://') + 3);
  // The host list ends at the first '/'; a '?' before it means there is no path at all.
  const beforeQuery = afterScheme.split('?', 1)[0] ?? '';
  const slash = beforeQuery.indexOf('/');
  const path = slash === -1 ? '' : beforeQuery.slice(slash + 1);
  return path ? decodeURIComponent(path) : DEFAULT_DATABASE;
}

/**
 * The URI with its password replaced, fit for an error message or a log line. It errs on the
 * side of hiding: everything up to the last '@' counts as credentials, so a password with an
 * unescaped '@', '/' or '?' is still hidden.
 */
export function redactUri(uri: string): string {
  const start = uri.indexOf('://') + 3;
  const at = uri.lastIndexOf('@');
  if (start < 3 || at < start) return uri;
  const user = uri.slice(start, at).split(':', 1)[0] ?? '';
  return `${uri.slice(0, start)}${user}:***${uri.slice(at)}`;
}
