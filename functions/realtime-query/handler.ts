import { realtimeFigures, windowItemsSince } from '#adapters/realtime-table';
import { productViewers, type FamilyItem } from '#domain/realtime/window';
import { realtimeConfig } from '#shared/config';
import { RequestError } from '#shared/errors';
import { httpErrors, json, pathParam, type HttpEvent, type HttpResult } from '#shared/http';
import { lambdaHandler } from '#shared/lambda';

const config = realtimeConfig();

/** The longest look back: the range is read whole (each window's sketches, per shard), so it is bounded. */
const MAX_MINUTES = 60;
/** The storefront's look back, at most, and how long one answer serves every visitor of the product page. */
const PRODUCT_MAX_MINUTES = 15;
const PRODUCT_CACHE_SECONDS = 10;
const PRODUCT_ID = { pattern: /^[A-Za-z0-9._:@-]{1,64}$/, says: '1–64 letters, digits or ._:@-' };

function minutesParam(event: HttpEvent, fallback: number, max: number): number {
  const text = event.queryStringParameters?.minutes;
  const minutes = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > max) throw new RequestError(400, `minutes must be a whole number from 1 to ${max}.`);
  return minutes;
}

/**
 * The products family of each look back, kept for PRODUCT_CACHE_SECONDS: whatever ids a caller asks for, a
 * container reads the table at most once per look back and period (so at most 15 reads per 10 s).
 */
const productCache = new Map<number, { at: number; items: Promise<FamilyItem[]> }>();

function recentProducts(minutes: number): Promise<FamilyItem[]> {
  const cached = productCache.get(minutes);
  if (cached && Date.now() - cached.at < PRODUCT_CACHE_SECONDS * 1000) return cached.items;
  const since = new Date(Date.now() - minutes * 60_000).toISOString();
  const items = windowItemsSince(config.tableName, 'products', since);
  productCache.set(minutes, { at: Date.now(), items });
  // A failed read is not kept: the next request tries again.
  items.catch(() => productCache.delete(minutes));
  return items;
}

/**
 * GET /realtime?minutes=N (read key): the last N minutes of windows, and their total (distinct counts as a
 * union, not a sum). GET /realtime/products/{id}?minutes=N (public, cached): how many people looked at one
 * product — what a storefront shows, and nothing else.
 */
const realtimeQuery = async (event: HttpEvent): Promise<HttpResult> => {
  switch (event.routeKey) {
    case 'GET /realtime': {
      const minutes = minutesParam(event, 5, MAX_MINUTES);
      return json(200, { window_seconds: config.windowSeconds, minutes, ...(await realtimeFigures(config.tableName, minutes)) });
    }
    case 'GET /realtime/products/{id}': {
      const id = pathParam(event, 'id', PRODUCT_ID);
      const minutes = minutesParam(event, 5, PRODUCT_MAX_MINUTES);
      const body = { product_id: id, minutes, ...productViewers(await recentProducts(minutes), id) };
      return json(200, body, { 'cache-control': `public, max-age=${PRODUCT_CACHE_SECONDS}` });
    }
    default:
      throw new RequestError(404, `No route ${event.routeKey}.`);
  }
};

export const handler = lambdaHandler(realtimeQuery).use(httpErrors());
