/**
 * s3rver 3.7 prunes directories below the first delimiter before it has seen the objects in them, so a
 * delimited listing of nested keys (`aws s3 ls s3://lake/`) comes back empty. This wraps its filesystem
 * store: list without the delimiter, then fold keys into common prefixes as S3 does.
 */
interface Listed {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}

type ListObjects = (bucket: string, options: { delimiter?: string; prefix?: string; startAfter?: string; maxKeys?: number }) => Promise<Listed>;

export function fixDelimitedListing(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const store = require('s3rver/lib/stores/filesystem') as { prototype: { listObjects: ListObjects; __delimiterFix?: true } };
  if (store.prototype.__delimiterFix) return;
  const original = store.prototype.listObjects;
  store.prototype.listObjects = async function (this: unknown, bucket, options) {
    const { delimiter = '', prefix = '', maxKeys = Infinity } = options;
    if (!delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const objects: Listed['objects'] = [];
    const prefixes = new Set<string>();
    let isTruncated = false;
    for (const object of all.objects) {
      const rest = object.key.slice(prefix.length);
      const at = rest.indexOf(delimiter);
      const entry = at === -1 ? undefined : object.key.slice(0, prefix.length + at + delimiter.length);
      if (entry !== undefined && prefixes.has(entry)) continue;
      if (objects.length + prefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      if (entry === undefined) objects.push(object);
      else prefixes.add(entry);
    }
    return { objects, commonPrefixes: [...prefixes].sort(), isTruncated };
  };
  store.prototype.__delimiterFix = true;
}
