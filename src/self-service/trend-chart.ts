/**
 * Small line charts drawn on the server as SVG geometry (no inline styles:
 * the template gives classes, the numbers are presentation attributes).
 */
export interface TrendPoint {
  day: string;
  value: number | null;
}

export interface TrendChart {
  width: number;
  height: number;
  /** `x,y x,y …` for <polyline points>; empty without two points. */
  points: string;
  /** Threshold lines (y positions) with their kind, inside the chart's range. */
  lines: { y: number; kind: 'good' | 'concern' }[];
  /** The last point, marked with a dot. */
  last: { x: number; y: number } | null;
  /** Text alternative for screen readers and for pages without SVG. */
  summary: string;
  hasData: boolean;
}

export const CHART_WIDTH = 300;
export const CHART_HEIGHT = 64;
const PAD = 4;

export function trendChart(
  points: readonly TrendPoint[],
  scale: { min: number; max: number },
  thresholds: { good: number | null; concern: number | null },
  describe: (v: number) => string,
): TrendChart {
  const known = points.filter((p): p is { day: string; value: number } => p.value !== null);
  const span = scale.max - scale.min || 1;
  const y = (v: number) =>
    Math.round(
      (PAD +
        (1 - (Math.min(scale.max, Math.max(scale.min, v)) - scale.min) / span) *
          (CHART_HEIGHT - 2 * PAD)) *
        10,
    ) / 10;
  const n = points.length;
  const x = (i: number) =>
    Math.round((PAD + (n > 1 ? i / (n - 1) : 0.5) * (CHART_WIDTH - 2 * PAD)) * 10) / 10;
  const coords = points
    .map((p, i) => (p.value === null ? null : { x: x(i), y: y(p.value) }))
    .filter((c): c is { x: number; y: number } => c !== null);
  const lines: TrendChart['lines'] = [];
  if (thresholds.good !== null) lines.push({ y: y(thresholds.good), kind: 'good' });
  if (thresholds.concern !== null) lines.push({ y: y(thresholds.concern), kind: 'concern' });
  const summary = known.length
    ? `From ${describe(known[0].value)} on ${known[0].day} to ${describe(known[known.length - 1].value)} on ${known[known.length - 1].day}`
    : 'No data yet';
  return {
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    points: coords.length >= 2 ? coords.map((c) => `${c.x},${c.y}`).join(' ') : '',
    lines,
    last: coords.length ? coords[coords.length - 1] : null,
    summary,
    hasData: known.length > 0,
  };
}
