import { auc, brier, calibrationTable, topDecilePrecision } from './model-metrics';

describe('model metrics', () => {
  it('computes AUC as the rank statistic, with ties counted half', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // One positive ranked below one of two negatives: 1 of 2 pairs ordered.
    expect(auc([0.3, 0.6, 0.4], [0, 0, 1])).toBe(0.5);
    expect(auc([0.1, 0.2], [0, 0])).toBeNull();
  });

  it('is not the mean predicted probability of the positives (the earlier system’s “AUC”)', () => {
    const p = [0.9, 0.95, 0.97, 0.99];
    const y = [1, 1, 0, 0];
    expect(auc(p, y)).toBe(0);
    expect((p[0] + p[1]) / 2).toBeGreaterThan(0.9);
  });

  it('computes the Brier score, top-decile precision and a calibration table', () => {
    expect(brier([1, 0, 0.5], [1, 0, 1])).toBeCloseTo(0.25 / 3, 10);
    const p = Array.from({ length: 20 }, (_, i) => i / 20);
    const y = p.map((v) => (v >= 0.9 ? 1 : 0));
    expect(topDecilePrecision(p, y)).toBe(1);
    const table = calibrationTable([0.05, 0.05, 0.95], [0, 1, 1]);
    expect(table).toEqual([
      { from: 0, to: 0.1, count: 2, meanPredicted: 0.05, observedRate: 0.5 },
      { from: 0.9, to: 1, count: 1, meanPredicted: 0.95, observedRate: 1 },
    ]);
  });
});
