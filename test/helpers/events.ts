import { randomUUID } from 'node:crypto';
import type { ClickstreamEvent } from '#domain/events/schema';

/** A valid contract event; override what the test cares about. */
export function makeEvent(overrides: Partial<ClickstreamEvent> = {}): ClickstreamEvent {
  return {
    event_id: randomUUID(),
    event_type: 'product_view',
    event_time: '2026-11-20T10:15:00.000Z',
    session_id: `s-${randomUUID()}`,
    anonymous_id: `a-${randomUUID()}`,
    product: { id: 'p-1', category: 'electronics.audio', brand: 'acme', price: 19.99, currency: 'USD' },
    context: { user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0' },
    ...overrides,
  };
}
