import { referrerClass, type ReferrerClass } from '../features/spec';

/**
 * Where the visit came from (`referrer_class` in the lake row): `internal` when the referrer is on the page's own
 * host, else the features' referrer classes (src/domain/features/spec.ts: one list for both).
 */
export function referrerClassOf(referrer: string | undefined, pageUrl: string | undefined): ReferrerClass | 'internal' {
  if (referrer && pageUrl && hostOf(referrer) !== undefined && hostOf(referrer) === hostOf(pageUrl)) return 'internal';
  return referrerClass(referrer);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
