import { createHash } from 'node:crypto';
import type { ClickstreamEvent } from '../events/schema';

/** One row of a REES46 "eCommerce behavior data" CSV. */
export interface Rees46Row {
  event_time: string;
  event_type: string;
  product_id: string;
  category_id: string;
  category_code: string;
  brand: string;
  price: string;
  user_id: string;
  user_session: string;
}

export const REES46_COLUMNS = ['event_time', 'event_type', 'product_id', 'category_id', 'category_code', 'brand', 'price', 'user_id', 'user_session'] as const;

const REES46_EVENT_TYPES: Record<string, ClickstreamEvent['event_type']> = {
  view: 'product_view',
  cart: 'add_to_cart',
  remove_from_cart: 'remove_from_cart',
  purchase: 'purchase',
};

export class Rees46RowError extends Error {
  override name = 'Rees46RowError';
}

/** Name-based UUID (RFC 4122 version 5 layout over SHA-1): the same row always gets the same event_id. */
export function deterministicUuid(name: string): string {
  const hash = createHash('sha1').update(`clickstream-ml/rees46/${name}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Maps a row to a contract event (docs/data.md, "Importing real events"): view → product_view,
 * cart → add_to_cart, purchase → purchase (with an order); `user_session` is the session,
 * `user_id` both the user and (prefixed) the anonymous id. A re-import yields the same event ids.
 */
export function rees46ToEvent(row: Rees46Row): ClickstreamEvent {
  const eventType = REES46_EVENT_TYPES[row.event_type];
  if (!eventType) throw new Rees46RowError(`unknown event_type "${row.event_type}" (expected view, cart, remove_from_cart or purchase)`);
  const time = new Date(row.event_time.replace(' UTC', 'Z').replace(' ', 'T'));
  if (Number.isNaN(time.getTime())) throw new Rees46RowError(`event_time "${row.event_time}" is not a date`);
  if (!row.user_session) throw new Rees46RowError('user_session is empty');
  const price = row.price === '' ? undefined : Number(row.price);
  const eventId = deterministicUuid([row.user_session, row.event_time, row.event_type, row.product_id, row.user_id].join('|'));
  return {
    event_id: eventId,
    event_type: eventType,
    event_time: time.toISOString(),
    session_id: row.user_session,
    anonymous_id: `rees46-${row.user_id}`,
    ...(row.user_id ? { user_id: row.user_id } : {}),
    product: {
      id: row.product_id,
      category: row.category_code || row.category_id,
      ...(row.brand ? { brand: row.brand } : {}),
      ...(price !== undefined && Number.isFinite(price) ? { price, currency: 'USD' } : {}),
    },
    ...(eventType === 'purchase'
      ? { order: { id: deterministicUuid(`order|${eventId}`), ...(price !== undefined && Number.isFinite(price) ? { revenue: price, currency: 'USD' } : {}) } }
      : {}),
  };
}
