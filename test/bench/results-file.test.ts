import { describe, expect, it } from 'vitest';
import { FULL_RESULTS, QUICK_RESULTS, resultsFile, resultsLine } from '../../bench/results-file.js';

describe('where a bench run writes its result (issue 20: --quick overwrote the committed full run)', () => {
  it('a full run replaces latest.json; a quick run writes quick.json; a partial run nothing', () => {
    expect(resultsFile({ quick: false, only: undefined })).toBe(FULL_RESULTS);
    expect(resultsFile({ quick: true, only: undefined })).toBe(QUICK_RESULTS);
    expect(resultsFile({ quick: true, only: ['ack'] })).toBeNull();
    expect(QUICK_RESULTS).not.toBe(FULL_RESULTS);
  });

  it('says where in its output', () => {
    expect(resultsLine(QUICK_RESULTS)).toBe('results: bench/results/quick.json (a quick run; bench/results/latest.json keeps the last full run)');
    expect(resultsLine(FULL_RESULTS)).toBe('results: bench/results/latest.json');
    expect(resultsLine(null)).toMatch(/not written/);
  });
});
