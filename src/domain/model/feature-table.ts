import { FEATURE_NAMES, type FeatureName } from '../features/spec';

/** One row of the features table (glue/features.sql), as an object: for tests and small inputs. */
export type FeatureRow = { session_id: string; dt: string; label: number } & Record<FeatureName, number | null>;

/**
 * The features table as the trainer holds it: one typed array per feature (NaN = missing), not an object per
 * session — 8 bytes a value instead of ~2 KB a row, so a million events' sessions fit in a small container.
 */
export interface FeatureTable {
  rows: number;
  sessionIds: string[];
  /** Each row's partition date (YYYY-MM-DD); repeated values share one string. */
  dts: string[];
  labels: Uint8Array;
  columns: Record<FeatureName, Float64Array>;
}

/** A table of `rows` rows to fill in place (a reader that knows the row count allocates once). */
export function allocateTable(rows: number): FeatureTable {
  return {
    rows,
    sessionIds: new Array<string>(rows),
    dts: new Array<string>(rows),
    labels: new Uint8Array(rows),
    columns: Object.fromEntries(FEATURE_NAMES.map((name) => [name, new Float64Array(rows)])) as Record<FeatureName, Float64Array>,
  };
}

/** A table from row objects (null or absent = missing; a label counts as 1 only when it is 1). */
export function featureTable(rows: readonly FeatureRow[]): FeatureTable {
  const table = allocateTable(rows.length);
  rows.forEach((row, i) => {
    table.sessionIds[i] = row.session_id;
    table.dts[i] = row.dt;
    table.labels[i] = Number(row.label) === 1 ? 1 : 0;
    for (const name of FEATURE_NAMES) table.columns[name][i] = row[name] ?? Number.NaN;
  });
  return table;
}
