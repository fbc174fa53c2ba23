/**
 * The value of a `/permission list` page button: which workspace, the filter typed with the
 * command, and the page. Slack hands it back verbatim, but anyone can post a click, so it is
 * parsed with zod (never cast) and the clicker is checked again against the workspace it names.
 */
import { z } from 'zod';
import { PERMISSION_STATUSES } from '../domain/permission.js';

/** Typed queries are held to this many characters, so a button's value stays within Slack's 2,000. */
export const MAX_LIST_QUERY = 200;
/** Permissions on one page: 20 lines of at most ~1,100 characters stay within one message's 40,000. */
export const LIST_PAGE_SIZE = 20;

export const ListPage = z.object({
  w: z.string().min(1).max(100),
  q: z.string().max(MAX_LIST_QUERY).optional(),
  s: z.enum(PERMISSION_STATUSES).optional(),
  p: z.number().int().min(1).max(100_000),
});
export type ListPage = z.infer<typeof ListPage>;

export const encodeListPage = (v: ListPage): string => JSON.stringify(v);

/** The page a button names, or null when its value is not one of ours. */
export function decodeListPage(raw: string): ListPage | null {
  try {
    const parsed = ListPage.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
