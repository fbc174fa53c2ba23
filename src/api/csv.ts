/**
 * CSV as RFC 4180 writes it (fields with a comma, quote, CR or LF quoted, quotes doubled, CRLF
 * after each record), with every cell a spreadsheet would take for a formula made inert: a cell
 * that begins with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'` (OWASP's advice against
 * CSV injection), so opening the evidence runs nothing. Values are text; nothing is dropped.
 */
export type Cell = string | number | boolean | null | undefined;

const FORMULA = /^[=+\-@\t\r]/;
const QUOTE = /[",\r\n]/;

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (FORMULA.test(s)) s = `'${s}`;
  return QUOTE.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvRecord = (cells: readonly Cell[]): string => `${cells.map(csvCell).join(',')}\r\n`;
