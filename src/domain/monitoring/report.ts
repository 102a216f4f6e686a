import { ClickstreamError } from '#shared/errors';
import { CALENDAR_CYCLES } from '../features/spec';
import type { Metrics } from '../model/metrics';
import type { CapturedPrediction, Route } from './capture';
import { driftFigures, type DriftFigures, type DriftReference } from './drift';
import { fnv1a32 } from '../hash';
import { qualityFigures, type QualityFigures } from './quality';

/**
 * The monitoring report of one model over a window (README, "Monitoring models"): captured predictions labelled
 * by what each session did next, their live quality per version and route beside the version's offline test
 * figures, drift from the version's training data, and the alerts that crossed their thresholds.
 */

export interface MonitorSettings {
  /** A prediction is labelled positive when its session purchased within this long after the prediction's time. */
  horizonMinutes: number;
  /** How long events take to reach the lake (Firehose buffering): an outcome is trusted this long after both the horizon and the prediction. */
  labelDelaySeconds: number;
  /** Fewer labelled sessions than this: quality alerts are not raised (the interval says too little). */
  minLabelled: number;
  psiThreshold: number;
  maxAucDrop: number;
  maxEce: number;
  confidence: number;
  resamples: number;
}

/** A monitoring request that cannot run (a window that is not one): never retried. */
export class MonitorRequestError extends ClickstreamError {}

export const DEFAULT_MONITOR_SETTINGS: MonitorSettings = {
  horizonMinutes: 30,
  labelDelaySeconds: 600,
  minLabelled: 200,
  psiThreshold: 0.2,
  maxAucDrop: 0.05,
  maxEce: 0.1,
  confidence: 0.95,
  resamples: 200,
};

/** Fewer served rows than this: drift is not judged (a PSI over a handful of rows is noise). */
const MIN_DRIFT_ROWS = 100;

/** What the registry knows of a version: its offline test figures and its training data's reference. */
export interface VersionFacts {
  test: Metrics;
  reference?: DriftReference;
}

export type Alert = 'auc_drop' | 'calibration' | 'feature_drift' | 'score_drift';

export interface GroupReport {
  version: string;
  route: Route;
  alias: string;
  /** Predictions captured in the window, and the sessions they were for (the last prediction of each counts). */
  predictions: number;
  sessions: number;
  /** Sessions whose outcome is not known yet (the horizon and the lake's delay have not passed), and without an id. */
  pending: number;
  unlabellable: number;
  quality: QualityFigures | null;
  offline: { roc_auc: number; ece: number } | null;
  /** Offline test ROC-AUC minus the live interval's upper bound: the drop the data shows at the confidence, at least. */
  auc_drop_at_least: number | null;
  drift: DriftFigures | null;
  alerts: Alert[];
}

export interface MonitorReport {
  model: string;
  window: { from: string; to: string };
  settings: MonitorSettings;
  groups: GroupReport[];
  /** Lines of the window's predictions/ objects that held no prediction (not JSON, or not of POST /predict): skipped. */
  unreadable_lines: number;
}

/**
 * Labels: the outcome of a prediction is whether its session purchased after the prediction's time (the last event
 * it saw, else when it was made) and within the horizon. `purchases`: each session's purchase times (ms).
 */
export function outcomeOf(
  prediction: CapturedPrediction,
  purchases: ReadonlyMap<string, readonly number[]>,
  settings: Pick<MonitorSettings, 'horizonMinutes' | 'labelDelaySeconds'>,
  now: number,
): 0 | 1 | 'pending' | 'unlabellable' {
  if (prediction.session_id === null) return 'unlabellable';
  const t0 = Date.parse(prediction.as_of ?? prediction.captured_at);
  const horizon = settings.horizonMinutes * 60_000;
  // The session's later events are in the lake only a delay after they happened — and after the prediction was made,
  // for a prediction about a session whose events were sent late.
  if (Math.max(t0 + horizon, Date.parse(prediction.captured_at)) + settings.labelDelaySeconds * 1000 > now) return 'pending';
  return (purchases.get(prediction.session_id) ?? []).some((t) => t > t0 && t <= t0 + horizon) ? 1 : 0;
}

const groupKey = (p: CapturedPrediction) => `${p.version}\u0000${p.route}\u0000${p.alias}`;

/** The sessions' purchase times the report needs: the hours from each prediction's time to its horizon. */
export function outcomeHours(predictions: readonly CapturedPrediction[], settings: Pick<MonitorSettings, 'horizonMinutes'>): string[] {
  const hours = new Set<string>();
  for (const p of predictions) {
    if (p.session_id === null) continue;
    const t0 = Date.parse(p.as_of ?? p.captured_at);
    for (let t = Math.floor(t0 / 3_600_000) * 3_600_000; t <= t0 + settings.horizonMinutes * 60_000; t += 3_600_000)
      hours.add(new Date(t).toISOString().slice(0, 13));
  }
  return [...hours].sort();
}

/** The report of one model's captured predictions (already limited to the window) given the sessions' purchases. */
export function monitorReport(input: {
  model: string;
  window: { from: string; to: string };
  predictions: readonly CapturedPrediction[];
  purchases: ReadonlyMap<string, readonly number[]>;
  versions: ReadonlyMap<string, VersionFacts>;
  settings: MonitorSettings;
  now: number;
  unreadableLines?: number;
}): MonitorReport {
  const { settings } = input;
  const groups = new Map<string, CapturedPrediction[]>();
  for (const p of input.predictions) {
    if (p.model !== input.model) continue;
    const list = groups.get(groupKey(p)) ?? [];
    list.push(p);
    groups.set(groupKey(p), list);
  }
  const reports = [...groups.entries()].map(([key, rows]): GroupReport => {
    const first = rows[0]!;
    // One prediction per session — its last — so a page that asks on every click does not narrow the intervals.
    const last = new Map<string, CapturedPrediction>();
    const anonymous: CapturedPrediction[] = [];
    for (const p of rows) {
      if (p.session_id === null) anonymous.push(p);
      else {
        const kept = last.get(p.session_id);
        if (!kept || (p.as_of ?? p.captured_at) >= (kept.as_of ?? kept.captured_at)) last.set(p.session_id, p);
      }
    }
    const y: number[] = [];
    const scores: number[] = [];
    let pending = 0;
    for (const p of last.values()) {
      const outcome = outcomeOf(p, input.purchases, settings, input.now);
      if (outcome === 'pending') pending++;
      else if (outcome !== 'unlabellable') {
        y.push(outcome);
        scores.push(p.probability);
      }
    }
    const quality = qualityFigures(y, scores, {
      confidence: settings.confidence,
      resamples: settings.resamples,
      seed: fnv1a32(`${key}\u0000${input.window.to}`),
    });
    const facts = input.versions.get(first.version);
    const offline = facts ? { roc_auc: facts.test.roc_auc, ece: facts.test.ece } : null;
    const aucDrop = offline && quality?.roc_auc ? Math.round((offline.roc_auc - quality.roc_auc.high) * 1e4) / 1e4 : null;
    const served = [...last.values(), ...anonymous];
    const times = served.map((p) => Date.parse(p.as_of ?? p.captured_at));
    const span = served.length > 0 ? Math.max(...times) - Math.min(...times) : 0;
    // A cycle counts as covered when the sessions span 90 % of it (a day's sessions end before the day does).
    const notJudged = Object.entries(CALENDAR_CYCLES)
      .filter(([, cycle]) => span < 0.9 * cycle!)
      .map(([name]) => name);
    const drift =
      facts?.reference && served.length >= MIN_DRIFT_ROWS
        ? driftFigures(
            facts.reference,
            {
              features: Object.fromEntries(Object.keys(facts.reference.features).map((name) => [name, served.map((p) => p.features[name] ?? Number.NaN)])),
              scores: served.map((p) => p.probability),
            },
            settings.psiThreshold,
            notJudged,
          )
        : null;
    const alerts: Alert[] = [];
    const enough = (quality?.labelled ?? 0) >= settings.minLabelled;
    if (enough && aucDrop !== null && aucDrop > settings.maxAucDrop) alerts.push('auc_drop');
    if (enough && quality && quality.ece.low > settings.maxEce) alerts.push('calibration');
    if (drift && drift.max_feature_psi > settings.psiThreshold) alerts.push('feature_drift');
    if (drift && drift.score_psi > settings.psiThreshold) alerts.push('score_drift');
    return {
      version: first.version,
      route: first.route,
      alias: first.alias,
      predictions: rows.length,
      sessions: last.size + anonymous.length,
      pending,
      unlabellable: anonymous.length,
      quality,
      offline,
      auc_drop_at_least: aucDrop,
      drift,
      alerts,
    };
  });
  const order: Record<Route, number> = { production: 0, canary: 1, shadow: 2 };
  reports.sort((a, b) => a.alias.localeCompare(b.alias) || order[a.route] - order[b.route] || b.version.localeCompare(a.version));
  return { model: input.model, window: input.window, settings, groups: reports, unreadable_lines: input.unreadableLines ?? 0 };
}
