/** The in-memory store's copy: deep, independent, and the same as structuredClone for records. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copy } from '../../src/store/memory/copy.js';

describe('copy', () => {
  it('copies a record deeply: changing the copy leaves the original alone', () => {
    const at = new Date('2026-11-22T12:00:00Z');
    const original = { id: 'r1', approvals: [{ by: 'U1', at }], params: { email: 'a@b.c' }, outcome: null, n: 3, gone: undefined };
    const c = copy(original);
    expect(c).toEqual(original);
    expect(Object.keys(c)).toEqual(Object.keys(original));
    c.approvals[0]!.at.setFullYear(2000);
    c.approvals.push({ by: 'U2', at });
    c.params.email = 'changed';
    expect(original.approvals).toEqual([{ by: 'U1', at: new Date('2026-11-22T12:00:00Z') }]);
    expect(original.params.email).toBe('a@b.c');
  });

  it('gives what structuredClone gives, for any plain data', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.date({ noInvalidDate: true }), (value, at) => {
      const record = { value, at, list: [value, at] };
      expect(copy(record)).toStrictEqual(structuredClone(record));
    }));
  });

  it('keeps an own "__proto__" key as a key', () => {
    const c = copy(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['__proto__', 'a']);
    expect((c as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('leaves anything but plain data to structuredClone', () => {
    const m = new Map([['k', { v: 1 }]]);
    const c = copy({ m, bytes: new Uint8Array([1, 2]) });
    expect(c.m).toBeInstanceOf(Map);
    expect(c.m).not.toBe(m);
    expect(c.m.get('k')).toEqual({ v: 1 });
    expect(c.bytes).toEqual(new Uint8Array([1, 2]));
  });
});
