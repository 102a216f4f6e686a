import { decideCanary, DEFAULT_CANARY_SETTINGS, type CanaryFigures } from '#domain/monitoring/canary';

const side = (version: string, labelled: number, positives: number, auc: number, variance: number, ece = 0.03) => ({
  version,
  labelled,
  positives,
  roc_auc: auc,
  variance,
  ece,
});

function figures(
  canary: { auc: number; variance: number; labelled?: number; ece?: number; eceLow?: number },
  production = { auc: 0.85, variance: 0.0001 },
): CanaryFigures {
  const diff = canary.auc - production.auc;
  const half = 2.5758 * Math.sqrt(canary.variance + production.variance);
  return {
    production: side('v1', 1000, 120, production.auc, production.variance),
    canary: { ...side('v2', canary.labelled ?? 1000, 120, canary.auc, canary.variance, canary.ece), ece_low: canary.eceLow ?? 0.01 },
    auc_difference: { value: diff, low: diff - half, high: diff + half },
  };
}

describe('the canary decision', () => {
  const settings = DEFAULT_CANARY_SETTINGS;

  it('promotes a canary no worse than production by more than the margin, at the confidence', () => {
    expect(decideCanary(figures({ auc: 0.88, variance: 0.0001 }), settings, 3)).toMatchObject({ decision: 'promote' });
    expect(decideCanary(figures({ auc: 0.85, variance: 0.00002 }, { auc: 0.85, variance: 0.00002 }), settings, 3)).toMatchObject({ decision: 'promote' });
  });

  it('rolls back a canary that is worse beyond doubt, or miscalibrated beyond doubt', () => {
    const worse = decideCanary(figures({ auc: 0.8, variance: 0.0001 }), settings, 2);
    expect(worse.decision).toBe('rollback');
    expect(worse.reason).toMatch(/^canary worse: ROC-AUC canary 0\.800 vs production 0\.850, difference -0\.050 \[/);
    expect(decideCanary(figures({ auc: 0.86, variance: 0.0001, ece: 0.2, eceLow: 0.15 }), settings, 2)).toMatchObject({ decision: 'rollback' });
  });

  it('waits while the evidence is too thin or inconclusive, and ends an inconclusive canary at the last check', () => {
    expect(decideCanary(figures({ auc: 0.95, variance: 0.0001, labelled: 40 }), settings, 1)).toMatchObject({ decision: 'wait' });
    const unsure = figures({ auc: 0.84, variance: 0.0004 });
    expect(decideCanary(unsure, settings, 1)).toMatchObject({ decision: 'wait', reason: expect.stringMatching(/^inconclusive/) });
    expect(decideCanary(unsure, settings, settings.maxChecks)).toMatchObject({
      decision: 'rollback',
      reason: expect.stringMatching(/^inconclusive after 48 checks/),
    });
  });
});
