/** Area under the ROC curve (rank statistic, ties counted half); null without both classes. */
export function auc(probabilities: number[], labels: number[]): number | null {
  const order = probabilities.map((p, i) => [p, labels[i]] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let negatives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j < order.length && order[j][0] === order[i][0]) j++;
    const averageRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) {
      if (order[k][1] === 1) {
        positives++;
        rankSum += averageRank;
      } else negatives++;
    }
    i = j;
  }
  if (!positives || !negatives) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean squared error of the probabilities. */
export function brier(probabilities: number[], labels: number[]): number {
  if (!labels.length) return 0;
  return probabilities.reduce((s, p, i) => s + (p - labels[i]) ** 2, 0) / labels.length;
}

/** Share of positives among the highest-scored tenth. */
export function topDecilePrecision(probabilities: number[], labels: number[]): number | null {
  if (!labels.length) return null;
  const k = Math.max(1, Math.floor(labels.length / 10));
  const top = probabilities
    .map((p, i) => [p, labels[i]] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, k);
  return top.filter(([, y]) => y === 1).length / k;
}

export interface CalibrationBin {
  from: number;
  to: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/** Ten equal-width probability bins: mean prediction against the observed rate. */
export function calibrationTable(probabilities: number[], labels: number[]): CalibrationBin[] {
  const bins = Array.from({ length: 10 }, (_, b) => ({
    from: b / 10,
    to: (b + 1) / 10,
    n: 0,
    p: 0,
    y: 0,
  }));
  probabilities.forEach((p, i) => {
    const bin = bins[Math.min(9, Math.floor(p * 10))];
    bin.n++;
    bin.p += p;
    bin.y += labels[i];
  });
  return bins
    .filter((b) => b.n > 0)
    .map((b) => ({
      from: b.from,
      to: b.to,
      count: b.n,
      meanPredicted: Math.round((b.p / b.n) * 1e4) / 1e4,
      observedRate: Math.round((b.y / b.n) * 1e4) / 1e4,
    }));
}

export interface SplitMetrics {
  rows: number;
  positives: number;
  auc: number | null;
  brier: number;
  topDecilePrecision: number | null;
  calibration: CalibrationBin[];
}

export function splitMetrics(probabilities: number[], labels: number[]): SplitMetrics {
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e4) / 1e4);
  return {
    rows: labels.length,
    positives: labels.filter((y) => y === 1).length,
    auc: round(auc(probabilities, labels)),
    brier: round(brier(probabilities, labels)) ?? 0,
    topDecilePrecision: round(topDecilePrecision(probabilities, labels)),
    calibration: calibrationTable(probabilities, labels),
  };
}
