import { describe, expect, it } from 'vitest';
import { emailKey, isEmail } from '../../src/domain/user.js';

describe('isEmail', () => {
  it.each(['john.doe@meshlab.de', 'a@b.c', "o'brien+ops@mail.example-corp.co.uk", 'UPPER@Example.COM', 'x_y-z@sub.domain.io'])(
    'accepts %s',
    (s) => expect(isEmail(s)).toBe(true),
  );

  it.each([
    ['a Cyrillic о in the local part', 'j\u043ehn.doe@meshlab.de'],
    ['a Cyrillic а in the domain', 'john.doe@meshl\u0430b.de'],
    ['a Greek ο', 'j\u03bfhn@meshlab.de'],
    ['a fullwidth at sign', 'john\uff20meshlab.de'],
    ['an accented letter', 'jöhn@meshlab.de'],
    ['a zero-width space', 'john\u200b@meshlab.de'],
    ['a NUL', 'john\u0000@meshlab.de'],
    ['a bell character', 'john@meshlab.de\u0007'],
    ['a trailing newline', 'john@meshlab.de\n'],
    ['a tab', 'john\t@meshlab.de'],
    ['a space inside', 'john doe@meshlab.de'],
    ['a leading space', ' john@meshlab.de'],
    ['a trailing space', 'john@meshlab.de '],
    ['no at sign', 'john.meshlab.de'],
    ['two at signs', 'john@doe@meshlab.de'],
    ['an empty local part', '@meshlab.de'],
    ['no dot in the domain', 'john@localhost'],
    ['an empty domain label', 'john@meshlab..de'],
    ['a trailing dot', 'john@meshlab.de.'],
    ['a Slack mailto wrapper', '<mailto:john@meshlab.de|john@meshlab.de>'],
    ['the empty string', ''],
  ])('refuses %s', (_why, s) => expect(isEmail(s)).toBe(false));

  it('refuses addresses longer than 254 characters and accepts 254', () => {
    const at = (n: number) => `${'a'.repeat(n - '@example.com'.length)}@example.com`;
    expect(isEmail(at(254))).toBe(true);
    expect(isEmail(at(255))).toBe(false);
  });
});

describe('emailKey', () => {
  it('compares emails case-insensitively and ignores surrounding spaces', () => {
    expect(emailKey('  John.Doe@MeshLab.DE ')).toBe('john.doe@meshlab.de');
    expect(emailKey('a@b.c')).toBe(emailKey('A@B.C'));
  });

  it('keeps look-alikes apart from the real address', () => {
    expect(emailKey('j\u043ehn@meshlab.de')).not.toBe(emailKey('john@meshlab.de'));
  });

  it('folds only ASCII: the Kelvin sign (U+212A) and dotted capital I do not fold into k and i', () => {
    expect(emailKey('\u212Aate@meshlab.de')).not.toBe(emailKey('kate@meshlab.de'));
    expect(emailKey('\u0130nga@meshlab.de')).not.toBe(emailKey('inga@meshlab.de'));
  });

  it('trims only ASCII spaces: invisible marks are part of the key', () => {
    expect(emailKey('\ufeffjane@meshlab.de')).not.toBe(emailKey('jane@meshlab.de'));
    expect(emailKey('jane@meshlab.de\u00a0')).not.toBe(emailKey('jane@meshlab.de'));
    expect(emailKey('\tjane@meshlab.de\n')).toBe('jane@meshlab.de');
  });
});
