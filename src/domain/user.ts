export interface User {
  id: string;
  email: string;
  userName: string;
  firstName: string;
  lastName: string;
}

/** Emails are unique case-insensitively; this is the key they are compared by. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

// Deliberately plain: one @, no spaces or control characters, a dot in the domain. Look-alike
// characters outside ASCII are refused so "jоhn" (Cyrillic o) cannot pose as "john".
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
export const isEmail = (s: string): boolean => s.length <= 254 && EMAIL.test(s);
