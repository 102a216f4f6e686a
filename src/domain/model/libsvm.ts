import { ClickstreamError } from '#shared/errors';
import type { Dataset } from './dataset';

/**
 * The training channels' format for SageMaker's XGBoost (`text/libsvm`): `label index:value …` per row, indexes
 * 0-based in the features' order, a missing value left out (XGBoost treats an absent entry as missing and routes
 * it the node's default way) and zeros written (a present 0 is not missing).
 */
export class LibsvmError extends ClickstreamError {}

export function libsvmLine(label: number, values: ArrayLike<number>): string {
  let line = String(label);
  for (let j = 0; j < values.length; j++) {
    const v = values[j]!;
    if (!Number.isNaN(v)) line += ` ${j}:${v}`;
  }
  return line;
}

/** Rows of a channel as a dataset of `featureNames.length` columns (absent = NaN). */
export function parseLibsvm(text: string, featureNames: readonly string[]): Dataset {
  const cols = featureNames.length;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const x = new Float64Array(lines.length * cols).fill(Number.NaN);
  const y = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const [label, ...pairs] = line.trim().split(/\s+/);
    if (label !== '0' && label !== '1') throw new LibsvmError(`Line ${i + 1}: label ${label} is not 0 or 1.`);
    y[i] = Number(label);
    for (const pair of pairs) {
      const colon = pair.indexOf(':');
      const j = Number(pair.slice(0, colon));
      const v = Number(pair.slice(colon + 1));
      if (colon < 0 || !Number.isInteger(j) || j < 0 || j >= cols || !Number.isFinite(v))
        throw new LibsvmError(`Line ${i + 1}: "${pair}" is not index:value with an index below ${cols}.`);
      x[i * cols + j] = v;
    }
  });
  return { featureNames: [...featureNames], rows: lines.length, cols, x, y };
}
