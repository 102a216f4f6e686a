/* Generated from schemas/clickstream-event/*.json by "npm run codegen". Do not edit. */
/**
 * One clickstream event as sent to POST /events. Unknown top-level fields are rejected: put custom data under `extra`. Events are capped at 32 KiB (serialized UTF-8), checked beside this schema.
 */
export interface ClickstreamEvent_1_0_0 {
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

/**
 * One clickstream event as sent to POST /events, contract 1-1-0: 1-0-0 plus the `schema` field that names it, the visitor's `consent`, and the tracker's `tracker`, `context.screen` and `context.timezone`. Every 1-0-0 event is a valid 1-1-0 event once it says `"schema": "1-1-0"`: nothing accepted before is refused. Unknown top-level fields are rejected: put custom data under `extra`. Events are capped at 32 KiB (serialized UTF-8), checked beside this schema.
 */
export interface ClickstreamEvent_1_1_0 {
  /**
   * The contract version this event follows. Events without it are read as 1-0-0.
   */
  schema: "1-1-0";
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
    screen?: {
      width: number;
      height: number;
    };
    /**
     * The client's IANA time zone (e.g. Europe/Paris).
     */
    timezone?: string;
  };
  /**
   * Free-form application data, kept as sent.
   */
  extra?: {
    [k: string]: unknown;
  };
  /**
   * The visitor's consent as the page knows it. An event whose analytics consent is not granted is dropped by the collector (counted, never stored).
   */
  consent?: {
    analytics: boolean;
    marketing?: boolean;
  };
  /**
   * The tracker that sent the event.
   */
  tracker?: {
    name: string;
    version: string;
  };
}

/** Every version of the contract, oldest first. */
export const SCHEMA_VERSIONS = ["1-0-0","1-1-0"] as const;

export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

/** An event of any version (each says which in `schema`; 1-0-0 predates the field). */
export type ClickstreamEvent = ClickstreamEvent_1_0_0 | ClickstreamEvent_1_1_0;
