import { Random } from '../tutoring/synthetic/random';
import { explainLogistic, fitLogistic, predictLogistic } from './logistic-model';
import { auc } from './model-metrics';

describe('L2 logistic regression (Newton)', () => {
  const rng = new Random(3);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const a = rng.next() * 4 - 2;
    const b = rng.next() * 4 - 2;
    const noise = rng.next() * 10;
    const p = 1 / (1 + Math.exp(-(1.5 * a - 1 * b - 0.5)));
    rows.push([a, b, noise]);
    labels.push(rng.next() < p ? 1 : 0);
  }
  const model = fitLogistic(['a', 'b', 'noise'], rows, labels, {}, { lambda: 0.1 });

  it('recovers the generating coefficients and ignores noise', () => {
    // Weights are on standardised features: divide by the scale to compare.
    const [intercept, wa, wb, wn] = model.weights;
    expect(wa / model.scales[0]).toBeCloseTo(1.5, 0);
    expect(wb / model.scales[1]).toBeCloseTo(-1, 0);
    expect(Math.abs(wn)).toBeLessThan(0.15);
    expect(Number.isFinite(intercept)).toBe(true);
    expect(
      auc(
        rows.map((r) => predictLogistic(model, r)),
        labels,
      ),
    ).toBeGreaterThan(0.8);
  });

  it('explains a prediction exactly: contributions plus intercept give the log-odds', () => {
    const row = [1.2, -0.7, 3];
    const { probability, contributions } = explainLogistic(model, row);
    const logit = model.weights[0] + contributions.reduce((s, c) => s + c, 0);
    expect(probability).toBeCloseTo(1 / (1 + Math.exp(-logit)), 12);
    expect(contributions[0]).toBeGreaterThan(0);
    expect(contributions[1]).toBeGreaterThan(0);
  });

  it('stays finite on separable data thanks to the L2 penalty', () => {
    const sep = fitLogistic(['x'], [[-2], [-1], [1], [2]], [0, 0, 1, 1], {}, { lambda: 1 });
    expect(sep.weights.every(Number.isFinite)).toBe(true);
    expect(predictLogistic(sep, [2])).toBeGreaterThan(0.5);
  });
});
