import { describe, expect, it } from 'vitest';
import { Codes } from '../../src/domain/errors.js';
import {
  applyPermissionChange, isPermissionStatus, isRole, PERMISSION_STATUSES, ROLES,
  type PermissionChange, type PermissionStatus, type Role,
} from '../../src/domain/permission.js';
import { refusal } from './refusal.js';


describe('applyPermissionChange: status', () => {
  // Every (from, to) pair of the MTM rules: ARCHIVED from anywhere, ACTIVE only from ARCHIVED,
  // never back to INVITED, and a change to the same status is a no-op that is refused.
  const table: Array<[PermissionStatus, PermissionStatus, string | null]> = [
    ['INVITED', 'INVITED', Codes.PERMISSION_UNCHANGED],
    ['INVITED', 'ACTIVE', Codes.INVITED_TO_ACTIVE],
    ['INVITED', 'ARCHIVED', null],
    ['ACTIVE', 'INVITED', Codes.ACTIVE_ONLY_FROM_ARCHIVED],
    ['ACTIVE', 'ACTIVE', Codes.PERMISSION_UNCHANGED],
    ['ACTIVE', 'ARCHIVED', null],
    ['ARCHIVED', 'INVITED', Codes.ACTIVE_ONLY_FROM_ARCHIVED],
    ['ARCHIVED', 'ACTIVE', null],
    ['ARCHIVED', 'ARCHIVED', Codes.PERMISSION_UNCHANGED],
  ];

  it('covers every pair of statuses', () => {
    expect(table).toHaveLength(PERMISSION_STATUSES.length ** 2);
  });

  it.each(table)('%s -> %s', (from, to, code) => {
    const p = { role: 'MEMBER' as Role, status: from };
    if (code === null) {
      expect(applyPermissionChange(p, { status: to })).toEqual({ role: 'MEMBER', status: to });
    } else {
      expect(refusal(() => applyPermissionChange(p, { status: to }))).toBe(code);
    }
  });

  it("refuses INVITED -> ACTIVE with the code 'PERMISSION.INVITED_TO_ACTIVE' and a readable message", () => {
    expect(() => applyPermissionChange({ role: 'VIEWER', status: 'INVITED' }, { status: 'ACTIVE' })).toThrow(
      expect.objectContaining({ name: 'DomainError', code: 'PERMISSION.INVITED_TO_ACTIVE', message: expect.stringMatching(/invitation/) }),
    );
  });

  it('does not let a role change smuggle INVITED -> ACTIVE through', () => {
    expect(refusal(() => applyPermissionChange({ role: 'VIEWER', status: 'INVITED' }, { role: 'ADMIN', status: 'ACTIVE' })))
      .toBe(Codes.INVITED_TO_ACTIVE);
  });

  it('does not modify the permission it is given', () => {
    const p = { role: 'MEMBER' as Role, status: 'ACTIVE' as PermissionStatus };
    applyPermissionChange(p, { role: 'ADMIN', status: 'ARCHIVED' });
    expect(p).toEqual({ role: 'MEMBER', status: 'ACTIVE' });
  });
});

describe('applyPermissionChange: role', () => {
  const pairs = PERMISSION_STATUSES.flatMap((status) =>
    ROLES.flatMap((from) => ROLES.filter((to) => to !== from).map((to) => [status, from, to] as const)),
  );

  it.each(pairs)('on a %s permission, %s -> %s is allowed and keeps the status', (status, from, to) => {
    expect(applyPermissionChange({ role: from, status }, { role: to })).toEqual({ role: to, status });
  });

  it.each(PERMISSION_STATUSES.flatMap((s) => ROLES.map((r) => [s, r] as const)))(
    'on a %s permission, setting the role it already has (%s) is refused as a no-op',
    (status, role) => {
      expect(refusal(() => applyPermissionChange({ role, status }, { role }))).toBe(Codes.PERMISSION_UNCHANGED);
    },
  );

  it('accepts a role change that repeats the current status', () => {
    expect(applyPermissionChange({ role: 'VIEWER', status: 'INVITED' }, { role: 'ADMIN', status: 'INVITED' }))
      .toEqual({ role: 'ADMIN', status: 'INVITED' });
  });

  it('changes role and status together when both are allowed', () => {
    expect(applyPermissionChange({ role: 'VIEWER', status: 'ARCHIVED' }, { role: 'ADMIN', status: 'ACTIVE' }))
      .toEqual({ role: 'ADMIN', status: 'ACTIVE' });
  });

  it('refuses an empty change', () => {
    const empty: PermissionChange = {};
    expect(refusal(() => applyPermissionChange({ role: 'ADMIN', status: 'ACTIVE' }, empty))).toBe(Codes.PERMISSION_UNCHANGED);
  });
});

describe('isRole / isPermissionStatus', () => {
  it('know exactly the MTM values, case-sensitively', () => {
    expect(ROLES.every(isRole)).toBe(true);
    expect(PERMISSION_STATUSES.every(isPermissionStatus)).toBe(true);
    for (const s of ['admin', 'OWNER', '', 'ACCOUNTUSER', 'ADMIN ']) expect(isRole(s)).toBe(false);
    for (const s of ['active', 'DELETED', '', 'PENDING']) expect(isPermissionStatus(s)).toBe(false);
  });
});
