import { ClickstreamError } from '#shared/errors';
import type { GroupReport } from './report';
import { zOf, type Estimate } from './quality';

/**
 * Canary analysis (statemachines/canary.asl.yaml): the canary's sessions against production's on the same window.
 * Both shares are split by session id, so they are independent samples: the ROC-AUC difference has the variance
 * of both DeLong variances summed. The decision is a pure function of the figures it returns, so a stored check
 * can be decided again and give the same answer.
 */

/** The alias no longer routes this canary (someone changed or ended it): the analysis stops and changes nothing. */
export class CanaryChangedError extends ClickstreamError {}

export interface CanarySettings {
  /** Labelled sessions each side needs before anything is decided, and buyers among them. */
  minLabelled: number;
  minPositives: number;
  /** Non-inferiority margin: the canary is promoted when its ROC-AUC is, at the confidence, no worse than production's by more than this. */
  margin: number;
  maxEce: number;
  /** Higher than the monitor's 0.95: the canary is looked at again and again, and each look is a chance to be wrong. */
  confidence: number;
  /** Checks before an inconclusive canary is ended (checks × the wait between them = the longest a canary runs). */
  maxChecks: number;
}

export const DEFAULT_CANARY_SETTINGS: CanarySettings = { minLabelled: 150, minPositives: 10, margin: 0.02, maxEce: 0.1, confidence: 0.99, maxChecks: 48 };

export type CanaryDecision = 'promote' | 'rollback' | 'wait';

/** The canary state machine's state (statemachines/canary.asl.yaml), as `npm run models -- canary … --auto` starts it. */
export interface CanaryState {
  model: string;
  alias: string;
  production_version: string;
  canary_version: string;
  weight: number;
  /** When the canary started: the window of every check starts here. */
  started_at: string;
  /** Names this analysis (its checks are stored under it). */
  run: string;
  check: number;
  check_seconds: number;
  decision?: CanaryDecision;
  reason?: string;
}

export interface CanaryFigures {
  production: { version: string; labelled: number; positives: number; roc_auc: number | null; variance: number | null; ece: number | null };
  canary: { version: string; labelled: number; positives: number; roc_auc: number | null; variance: number | null; ece: number | null; ece_low: number | null };
  /** Canary minus production ROC-AUC, with its interval at the settings' confidence. */
  auc_difference: Estimate | null;
}

const side = (group: GroupReport | undefined, version: string) => ({
  version,
  labelled: group?.quality?.labelled ?? 0,
  positives: group?.quality?.positives ?? 0,
  roc_auc: group?.quality?.roc_auc?.value ?? null,
  variance: group?.quality?.roc_auc_variance ?? null,
  ece: group?.quality?.ece.value ?? null,
});

/** The figures a canary decision rests on, from a monitoring report's production and canary groups of one alias. */
export function canaryFigures(
  groups: readonly GroupReport[],
  alias: string,
  versions: { production: string; canary: string },
  settings: Pick<CanarySettings, 'confidence'>,
): CanaryFigures {
  const find = (route: 'production' | 'canary', version: string) => groups.find((g) => g.alias === alias && g.route === route && g.version === version);
  const production = side(find('production', versions.production), versions.production);
  const canaryGroup = find('canary', versions.canary);
  const canary = { ...side(canaryGroup, versions.canary), ece_low: canaryGroup?.quality?.ece.low ?? null };
  let auc_difference: Estimate | null = null;
  if (production.roc_auc !== null && canary.roc_auc !== null && production.variance !== null && canary.variance !== null) {
    const diff = canary.roc_auc - production.roc_auc;
    const half = zOf(settings.confidence) * Math.sqrt(production.variance + canary.variance);
    const r = (x: number) => Math.round(x * 1e4) / 1e4;
    auc_difference = { value: r(diff), low: r(diff - half), high: r(diff + half) };
  }
  return { production, canary, auc_difference };
}

const f3 = (x: number | null) => (x === null ? '–' : x.toFixed(3));

/** Promote, roll back or wait, and why, from the figures of check number `check` (1-based). */
export function decideCanary(figures: CanaryFigures, settings: CanarySettings, check: number): { decision: CanaryDecision; reason: string } {
  const { production: p, canary: c, auc_difference: d } = figures;
  const evidence = `${c.labelled} canary / ${p.labelled} production labelled sessions`;
  const last = check >= settings.maxChecks;
  const enough = (s: typeof p) => s.labelled >= settings.minLabelled && s.positives >= settings.minPositives;
  if (!enough(p) || !enough(c) || !d) {
    const need = `needs ${settings.minLabelled} labelled sessions and ${settings.minPositives} buyers on each side; has ${c.labelled}/${c.positives} canary, ${p.labelled}/${p.positives} production`;
    return last ? { decision: 'rollback', reason: `not enough evidence after ${check} checks (${need})` } : { decision: 'wait', reason: need };
  }
  const auc = `ROC-AUC canary ${f3(c.roc_auc)} vs production ${f3(p.roc_auc)}, difference ${d.value >= 0 ? '+' : ''}${d.value.toFixed(3)} [${d.low.toFixed(3)}, ${d.high.toFixed(3)}] at ${Math.round(settings.confidence * 100)} %`;
  if (d.high < 0) return { decision: 'rollback', reason: `canary worse: ${auc}; ${evidence}` };
  if (c.ece_low !== null && c.ece_low > settings.maxEce)
    return { decision: 'rollback', reason: `canary miscalibrated: ECE ${f3(c.ece)} (at least ${f3(c.ece_low)}) > ${settings.maxEce}; ${evidence}` };
  if (d.low > -settings.margin && c.ece !== null && c.ece <= settings.maxEce)
    return { decision: 'promote', reason: `canary no worse than production by more than ${settings.margin}: ${auc}; ECE ${f3(c.ece)}; ${evidence}` };
  return last
    ? { decision: 'rollback', reason: `inconclusive after ${check} checks: ${auc}; ${evidence}` }
    : { decision: 'wait', reason: `inconclusive: ${auc}; ${evidence}` };
}
