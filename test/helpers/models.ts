import { purchased, sessionFeatures } from '#domain/features/session-features';
import { GBDT_DEFAULTS, trainGbdt } from '#domain/model/gbdt';
import { trainLogistic, LOGISTIC_DEFAULTS } from '#domain/model/logistic';
import { featureTable, type FeatureRow } from '#domain/model/feature-table';
import { toDataset, trainPurchasePropensity, type TrainedModel, type TrainingResult } from '#domain/model/training-run';
import { ShopperModel, type GeneratedSession } from '#domain/traffic/shopper-model';
import { previousSessions } from '../../cli/traffic';

/** Feature rows of generated shoppers, computed by the serving feature code. */
export function shopperRows(sessions: number, seed = 11): FeatureRow[] {
  const shoppers = new ShopperModel(seed, new Date('2025-01-01T00:00:00Z'), 86_400_000);
  return Array.from({ length: sessions }, () => {
    const { events } = shoppers.session();
    return { session_id: events[0]!.session_id, dt: '2025-01-01', label: purchased(events), ...sessionFeatures(events) } as FeatureRow;
  });
}

/** A real model of either kind, trained on generated shoppers (small, quick). */
export function trainedModel(kind: 'gbdt' | 'logistic_regression', sessions = 1500): TrainedModel {
  const data = toDataset(featureTable(shopperRows(sessions)));
  return kind === 'gbdt' ? trainGbdt(data, { ...GBDT_DEFAULTS, maxIterations: 40 }) : trainLogistic(data, LOGISTIC_DEFAULTS);
}

/**
 * The training workflow's model choice and figures (both kinds trained, the better on validation kept, test metrics,
 * drift reference) on generated sessions, with the features the lake would give them (previous sessions counted
 * per visitor). `shuffleLabels`: a model that learned nothing true (its labels permuted), for a canary that must lose.
 */
export function trainOnSessions(sessions: readonly GeneratedSession[], options: { shuffleLabels?: boolean } = {}): TrainingResult {
  const earlier = previousSessions(sessions.map((s) => s.events));
  const labels = sessions.map((s) => purchased(s.events));
  if (options.shuffleLabels) {
    // A fixed permutation (reversed halves interleaved): the same every run, unrelated to the sessions.
    labels.sort((a, b) => a - b).reverse();
    for (let i = labels.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [labels[i], labels[j]] = [labels[j]!, labels[i]!];
    }
  }
  const rows = sessions.map(
    (s, i) =>
      ({
        session_id: s.truth.session_id,
        dt: s.events[0]!.event_time.slice(0, 10),
        label: labels[i]!,
        ...sessionFeatures(s.events, { previousSessions: earlier.get(s.truth.session_id) ?? 0 }),
      }) as FeatureRow,
  );
  return trainPurchasePropensity(featureTable(rows));
}
