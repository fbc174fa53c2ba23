export interface User {
  id: string;
  email: string;
  userName: string;
  firstName: string;
  lastName: string;
}

/**
 * Emails are unique case-insensitively; this is the key they are compared by. Only ASCII is
 * trimmed and folded: toLowerCase() would also fold look-alikes into ASCII (the Kelvin sign
 * U+212A becomes "k", so "\u212Aate@x.de" would find kate@x.de), and trim() would drop invisible
 * characters such as U+FEFF. Emails are ASCII (isEmail), so nothing real is lost.
 */
export const emailKey = (email: string): string => email.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '').replace(/[A-Z]+/g, (s) => s.toLowerCase());

// Deliberately plain: one @, no spaces or control characters, a dot in the domain. Look-alike
// characters outside ASCII are refused so "jоhn" (Cyrillic o) cannot pose as "john".
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
export const isEmail = (s: string): boolean => s.length <= 254 && EMAIL.test(s);
