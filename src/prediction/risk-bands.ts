/** One band scheme everywhere (ARCHITECTURE.md): 0–25 low, 26–50 medium, 51–75 high, 76–100 critical. */
export const RISK_BANDS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskBand = (typeof RISK_BANDS)[number];

/** The band of a 0–100 churn score (scores are stored as whole numbers). */
export function riskBandOf(churnScore: number): RiskBand {
  if (churnScore > 75) return 'critical';
  if (churnScore > 50) return 'high';
  if (churnScore > 25) return 'medium';
  return 'low';
}
