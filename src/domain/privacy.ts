import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * How much of a client IP the pipeline keeps (stage params ipv4KeepOctets, ipv6KeepGroups): IPv4 keeps its first
 * octets, IPv6 its first 16-bit groups, the rest zeroed — by default 3 octets (a /24) and 3 groups (a /48), enough
 * for a region or a network, not for a household. 4 and 8 keep whole addresses.
 */
export interface IpAnonymization {
  ipv4KeepOctets: number;
  ipv6KeepGroups: number;
}

export const DEFAULT_IP_ANONYMIZATION: IpAnonymization = { ipv4KeepOctets: 3, ipv6KeepGroups: 3 };

const ipv4 = (ip: string, keep: number) =>
  ip
    .split('.')
    .map((octet, i) => (i < keep ? String(Number(octet)) : '0'))
    .join('.');

/** The eight groups of an IPv6 address as numbers (an embedded IPv4 tail read as its two groups). */
function ipv6Groups(ip: string): number[] {
  const zone = ip.indexOf('%');
  let text = (zone < 0 ? ip : ip.slice(0, zone)).toLowerCase();
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (tail) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const middle = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16));
}

/** The groups in RFC 5952 form: lowercase, no leading zeros, the longest run of zero groups (≥ 2) as "::". */
function formatIpv6(groups: number[]): string {
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.length < 2) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

/**
 * The IP with only what the settings keep. Anything that is not an IP address is dropped (undefined): a field
 * meant for an address must not become a place to smuggle other personal data.
 */
export function anonymizeIp(ip: string, settings: IpAnonymization = DEFAULT_IP_ANONYMIZATION): string | undefined {
  if (isIPv4(ip)) return ipv4(ip, settings.ipv4KeepOctets);
  if (!isIPv6(ip)) return undefined;
  const groups = ipv6Groups(ip);
  // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 client: anonymized as one.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6);
    return ipv4(`${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`, settings.ipv4KeepOctets);
  }
  return formatIpv6(groups.map((g, i) => (i < settings.ipv6KeepGroups ? g : 0)));
}

/**
 * An event as sent (any shape) with its client-claimed `context.ip` anonymized — or removed, when it is not an
 * address. Anything else is returned as it is.
 */
export function anonymizeEventIp<T>(event: T, settings: IpAnonymization): T {
  const context = (event as { context?: unknown } | null)?.context;
  if (typeof context !== 'object' || context === null || typeof (context as { ip?: unknown }).ip !== 'string') return event;
  const { ip, ...rest } = context as { ip: string };
  const kept = anonymizeIp(ip, settings);
  return { ...event, context: kept === undefined ? rest : { ...rest, ip: kept } };
}

/** The event fields that can be pseudonymized (stage param pseudonymizeFields). */
export const PSEUDONYMIZABLE_FIELDS = ['user_id', 'anonymous_id'] as const;
export type PseudonymizedField = (typeof PSEUDONYMIZABLE_FIELDS)[number];

/** Pseudonymization as a stage sets it: which fields, under which key (from Secrets Manager). */
export interface Pseudonymization {
  fields: readonly PseudonymizedField[];
  key: Buffer;
}

/** A pseudonym: "ps_" and the HMAC-SHA256 of the value under the key, in hex — recognised, so never hashed twice. */
const PSEUDONYM = /^ps_[0-9a-f]{64}$/;

export class PseudonymizationError extends Error {
  override name = 'PseudonymizationError';
}

export function pseudonym(value: string, key: Buffer): string {
  if (PSEUDONYM.test(value)) return value;
  return `ps_${createHmac('sha256', key).update(value, 'utf8').digest('hex')}`;
}

/** Which fields a stage pseudonymizes, from its comma-separated list (empty: none). */
export function pseudonymizedFields(list: readonly string[]): PseudonymizedField[] {
  return list.map((name) => {
    const field = PSEUDONYMIZABLE_FIELDS.find((f) => f === name);
    if (!field) throw new PseudonymizationError(`Cannot pseudonymize "${name}"; the fields that can be: ${PSEUDONYMIZABLE_FIELDS.join(', ')}.`);
    return field;
  });
}

/**
 * An event as sent (any shape) with the listed top-level fields replaced by their pseudonyms, where they are
 * strings; anything else is returned as it is. The same person keeps the same pseudonym under one key, so
 * sessions, visitors and features join as before; without the key nobody can go back.
 */
export function pseudonymizeEvent<T>(event: T, settings: Pseudonymization | undefined): T {
  if (!settings || settings.fields.length === 0 || typeof event !== 'object' || event === null) return event;
  let changed: Record<string, unknown> | undefined;
  for (const field of settings.fields) {
    const value = (event as Record<string, unknown>)[field];
    if (typeof value !== 'string' || PSEUDONYM.test(value)) continue;
    changed ??= { ...(event as Record<string, unknown>) };
    changed[field] = pseudonym(value, settings.key);
  }
  return (changed ?? event) as T;
}

/**
 * Whether an event (any shape, as sent) may be kept: its `consent.analytics` is true, or it states no consent and
 * the stage does not require one (1-0-0 trackers cannot say). Anything else — denied, or a consent that is not a
 * boolean — is not consent.
 */
export function hasAnalyticsConsent(event: unknown, required: boolean): boolean {
  if (typeof event !== 'object' || event === null || !('consent' in event)) return !required;
  const consent = (event as { consent: unknown }).consent;
  return typeof consent === 'object' && consent !== null && (consent as { analytics?: unknown }).analytics === true;
}
