/**
 * The subset of jq that Firehose metadata-extraction queries in this project use, evaluated natively:
 *   {key: .path.to.field, other: .field[start:end], …}
 * (object construction of field paths, optionally sliced). Anything else is refused when the delivery
 * stream is created, with a message naming the supported form — never evaluated approximately.
 * (jq-wasm was tried: its stdin/stdout handling is quadratic in the input size, seconds per batch.)
 */
export class UnsupportedJqError extends Error {
  override name = 'UnsupportedJqError';
}

type Extractor = (record: unknown) => unknown;

const ENTRY = /^\s*("?)([A-Za-z_][A-Za-z0-9_]*)\1\s*:\s*((?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?:\[\s*(-?\d+)?\s*:\s*(-?\d+)?\s*\])?\s*$/;

function field(value: unknown, name: string): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`Cannot index ${Array.isArray(value) ? 'array' : typeof value} with "${name}"`);
  return (value as Record<string, unknown>)[name] ?? null;
}

function slice(value: unknown, start: number | undefined, end: number | undefined): unknown {
  if (value === null) return null;
  if (typeof value === 'string' || Array.isArray(value)) return value.slice(start, end);
  throw new Error(`Cannot slice ${typeof value}`);
}

export function compileJq(query: string): (record: unknown) => Record<string, unknown> {
  const body = /^\s*\{(.*)\}\s*$/s.exec(query)?.[1];
  const unsupported = () =>
    new UnsupportedJqError(
      `The local Firehose evaluates MetadataExtractionQuery of the form {key: .field.path, key2: .field[start:end]}; "${query}" is outside it.`,
    );
  if (body === undefined) throw unsupported();
  const extractors: [string, Extractor][] = body.split(',').map((entry) => {
    const match = ENTRY.exec(entry);
    if (!match) throw unsupported();
    const [, , key, path, start, end] = match;
    const names = path!.split('.').slice(1);
    const sliced = start !== undefined || end !== undefined;
    const from = start === undefined ? undefined : Number(start);
    const to = end === undefined ? undefined : Number(end);
    return [
      key!,
      (record) => {
        const value = names.reduce<unknown>(field, record);
        return sliced ? slice(value, from, to) : value;
      },
    ];
  });
  return (record) => Object.fromEntries(extractors.map(([key, extract]) => [key, extract(record)]));
}
