import { purchased, sessionFeatures } from '#domain/features/session-features';
import { GBDT_DEFAULTS, trainGbdt } from '#domain/model/gbdt';
import { trainLogistic, LOGISTIC_DEFAULTS } from '#domain/model/logistic';
import { featureTable, type FeatureRow } from '#domain/model/feature-table';
import { toDataset, type TrainedModel } from '#domain/model/training-run';
import { ShopperModel } from '#domain/traffic/shopper-model';

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
