/* Generated from schemas/clickstream-event.schema.json by "npm run codegen". Do not edit. */

/**
 * One clickstream event as sent to POST /events. Unknown top-level fields are rejected: put custom data under `extra`. Events are capped at 32 KiB (serialized UTF-8), checked beside this schema.
 */
export interface ClickstreamEvent {
  /**
   * Unique per event; retries and replays keep it, so it is the dedup key.
   */
  event_id: string;
  event_type:
    "page_view" | "product_view" | "search" | "add_to_cart" | "remove_from_cart" | "begin_checkout" | "purchase";
  /**
   * When it happened on the client (RFC 3339 with offset). Leap seconds (…:60) are rejected beside this schema: no store downstream can hold them. Times more than 7 days before or 5 minutes after the collector received the event are kept, flagged, in the partition of their arrival (stage params).
   */
  event_time: string;
  session_id: string;
  anonymous_id: string;
  user_id?: string;
  page?: {
    url?: string;
    referrer?: string;
    title?: string;
  };
  product?: {
    id: string;
    category?: string;
    brand?: string;
    price?: number;
    currency?: string;
  };
  order?: {
    id: string;
    revenue?: number;
    currency?: string;
  };
  search?: {
    query: string;
  };
  context?: {
    user_agent?: string;
    locale?: string;
    ip?: string;
  };
  /**
   * Free-form application data, kept as sent.
   */
  extra?: {
    [k: string]: unknown;
  };
}
