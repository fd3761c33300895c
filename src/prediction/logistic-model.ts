import { Matrix, solve } from 'ml-matrix';

/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares) on standardised features, with the linear algebra from ml-matrix. Chosen over
 * gradient boosting because its probabilities are calibrated out of the box and each tutor's
 * factors are exact: coefficient × standardised value is that feature's share of the log-odds.
 */
export interface LogisticArtifact {
  [key: string]: unknown;
  algorithm: 'logistic-l2-newton';
  features: string[];
  means: number[];
  scales: number[];
  /** Intercept first, then one weight per feature (on standardised values). */
  weights: number[];
  /** Fill values for median-filled features. */
  medians: Record<string, number>;
  lambda: number;
}

export interface FitOptions {
  lambda?: number;
  maxIterations?: number;
  /** Weight of positive examples (class balance); 1 keeps probabilities calibrated. */
  positiveWeight?: number;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function fitLogistic(
  features: string[],
  rows: number[][],
  labels: number[],
  medians: Record<string, number>,
  options: FitOptions = {},
): LogisticArtifact {
  const lambda = options.lambda ?? 1;
  const maxIterations = options.maxIterations ?? 25;
  const n = rows.length;
  const p = features.length;
  if (n === 0) throw new Error('no training rows');
  const means = new Array<number>(p).fill(0);
  const scales = new Array<number>(p).fill(0);
  for (const r of rows) for (let j = 0; j < p; j++) means[j] += r[j] / n;
  for (const r of rows) for (let j = 0; j < p; j++) scales[j] += (r[j] - means[j]) ** 2 / n;
  for (let j = 0; j < p; j++) scales[j] = Math.sqrt(scales[j]) || 1;
  const x = rows.map((r) => [1, ...r.map((v, j) => (v - means[j]) / scales[j])]);
  const sampleWeight = labels.map((y) => (y === 1 ? (options.positiveWeight ?? 1) : 1));
  let w = new Array<number>(p + 1).fill(0);
  for (let iter = 0; iter < maxIterations; iter++) {
    const gradient = new Array<number>(p + 1).fill(0);
    const hessian = Array.from({ length: p + 1 }, () => new Array<number>(p + 1).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = x[i];
      let z = 0;
      for (let j = 0; j <= p; j++) z += w[j] * xi[j];
      const mu = sigmoid(z);
      const s = sampleWeight[i];
      const g = s * (mu - labels[i]);
      const h = s * Math.max(mu * (1 - mu), 1e-9);
      for (let j = 0; j <= p; j++) {
        gradient[j] += g * xi[j];
        const hx = h * xi[j];
        const row = hessian[j];
        for (let k = j; k <= p; k++) row[k] += hx * xi[k];
      }
    }
    for (let j = 0; j <= p; j++) {
      for (let k = 0; k < j; k++) hessian[j][k] = hessian[k][j];
      if (j > 0) {
        gradient[j] += lambda * w[j];
        hessian[j][j] += lambda;
      }
    }
    const step = solve(new Matrix(hessian), Matrix.columnVector(gradient)).to1DArray();
    let change = 0;
    w = w.map((v, j) => {
      change = Math.max(change, Math.abs(step[j]));
      return v - step[j];
    });
    if (change < 1e-6) break;
  }
  return { algorithm: 'logistic-l2-newton', features, means, scales, weights: w, medians, lambda };
}

/** Probability and each feature's contribution to the log-odds for one row. */
export function explainLogistic(
  model: LogisticArtifact,
  row: number[],
): { probability: number; contributions: number[] } {
  let z = model.weights[0];
  const contributions = row.map((v, j) => {
    const c = model.weights[j + 1] * ((v - model.means[j]) / model.scales[j]);
    z += c;
    return c;
  });
  return { probability: sigmoid(z), contributions };
}

export function predictLogistic(model: LogisticArtifact, row: number[]): number {
  return explainLogistic(model, row).probability;
}
