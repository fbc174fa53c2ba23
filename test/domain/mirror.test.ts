/** Which technical-user drift raises access (told at once) and which waits for the digest. */
import { describe, expect, it } from 'vitest';
import { raisesAccess } from '../../src/domain/mirror.js';

const at = new Date('2030-03-10T12:00:00.000Z');

describe('raisesAccess for technical users', () => {
  it('a later expiry on a token that still works, a changed description, an earlier expiry: the digest', () => {
    expect(raisesAccess('technicalUser', { expires: '2030-03-10' }, { expires: '2031-01-01' }, at)).toBe(false);
    expect(raisesAccess('technicalUser', { description: 'a' }, { description: 'b' }, at)).toBe(false);
    expect(raisesAccess('technicalUser', { expires: '2031-01-01' }, { expires: '2030-03-01' }, at)).toBe(false);
  });

  it('an expired token given a date from today on works again: at once', () => {
    expect(raisesAccess('technicalUser', { expires: '2030-03-09' }, { expires: '2030-03-10' }, at)).toBe(true);
    expect(raisesAccess('technicalUser', { expires: '2029-12-31', description: 'x' }, { expires: '2031-01-01', description: 'y' }, at)).toBe(true);
  });

  it('a new technical user and a raised role: at once, as before', () => {
    expect(raisesAccess('technicalUser', null, { role: 'VIEWER' }, at)).toBe(true);
    expect(raisesAccess('technicalUser', { role: 'MEMBER' }, { role: 'ADMIN' }, at)).toBe(true);
    expect(raisesAccess('technicalUser', { role: 'ADMIN' }, { role: 'MEMBER' }, at)).toBe(false);
  });
});
