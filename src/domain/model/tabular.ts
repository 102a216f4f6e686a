import type { Dataset } from './dataset';

/**
 * Turns rows of strings (a CSV of session features) into a numeric dataset (`npm run cv`, docs/training.md): a column whose values all parse as numbers is numeric; TRUE/FALSE columns become 0/1;
 * any other column is categorical and one-hot encoded (`column=level`). Empty cells are missing (NaN).
 */
export class TabularError extends Error {
  override name = 'TabularError';
}

const BOOLEAN = /^(true|false)$/i;
const TRUTHY = /^(true|1|yes)$/i;
const FALSY = /^(false|0|no)$/i;

export interface ColumnReport {
  name: string;
  kind: 'numeric' | 'boolean' | 'categorical';
  levels?: string[];
}

export function tabularDataset(rows: readonly Record<string, string>[], label: string): { data: Dataset; columns: ColumnReport[] } {
  if (rows.length === 0) throw new TabularError('The file has no rows.');
  const names = Object.keys(rows[0]!);
  if (!names.includes(label)) throw new TabularError(`No column "${label}"; the columns are ${names.join(', ')}.`);
  const y = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    const v = (row[label] ?? '').trim();
    if (TRUTHY.test(v)) y[i] = 1;
    else if (!FALSY.test(v)) throw new TabularError(`Row ${i + 2}: label "${v}" is not true/false, 1/0 or yes/no.`);
  });

  const columns: ColumnReport[] = names
    .filter((n) => n !== label)
    .map((name) => {
      const values = rows.map((r) => (r[name] ?? '').trim()).filter((v) => v !== '');
      if (values.every((v) => BOOLEAN.test(v))) return { name, kind: 'boolean' };
      if (values.every((v) => Number.isFinite(Number(v)))) return { name, kind: 'numeric' };
      return { name, kind: 'categorical', levels: [...new Set(values)].sort() };
    });
  const featureNames = columns.flatMap((c) => (c.kind === 'categorical' ? c.levels!.map((l) => `${c.name}=${l}`) : [c.name]));
  const cols = featureNames.length;
  const x = new Float64Array(rows.length * cols);
  rows.forEach((row, i) => {
    let j = 0;
    for (const c of columns) {
      const v = (row[c.name] ?? '').trim();
      if (c.kind === 'categorical') {
        for (const level of c.levels!) x[i * cols + j++] = v === '' ? Number.NaN : v === level ? 1 : 0;
      } else if (c.kind === 'boolean') x[i * cols + j++] = v === '' ? Number.NaN : TRUTHY.test(v) ? 1 : 0;
      else x[i * cols + j++] = v === '' ? Number.NaN : Number(v);
    }
  });
  return { data: { featureNames, rows: rows.length, cols, x, y }, columns };
}
