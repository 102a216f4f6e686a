import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { validateEvent } from '#domain/events/schema';
import { rees46ToEvent, Rees46RowError, type Rees46Row } from '#domain/traffic/rees46';
import { sharedData } from '../../../helpers/requirements';

const row = (overrides: Partial<Rees46Row> = {}): Rees46Row => ({
  event_time: '2019-10-01 00:00:08 UTC',
  event_type: 'view',
  product_id: '17300353',
  category_id: '2053013553853497655',
  category_code: '',
  brand: 'creed',
  price: '380.96',
  user_id: '555447699',
  user_session: '4fe811e9-91de-46da-90c3-bbd87ed3a65d',
  ...overrides,
});

describe('REES46 import mapping', () => {
  it('maps a view to a product_view with UTC time and the category id when there is no code', () => {
    expect(rees46ToEvent(row())).toEqual({
      event_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      event_type: 'product_view',
      event_time: '2019-10-01T00:00:08.000Z',
      session_id: '4fe811e9-91de-46da-90c3-bbd87ed3a65d',
      anonymous_id: 'rees46-555447699',
      user_id: '555447699',
      product: { id: '17300353', category: '2053013553853497655', brand: 'creed', price: 380.96, currency: 'USD' },
    });
  });

  it('gives a purchase an order and is deterministic', () => {
    const a = rees46ToEvent(row({ event_type: 'purchase' }));
    expect(a.order).toEqual({ id: expect.any(String), revenue: 380.96, currency: 'USD' });
    expect(rees46ToEvent(row({ event_type: 'purchase' }))).toEqual(a);
    expect(rees46ToEvent(row({ event_type: 'cart' })).event_id).not.toBe(a.event_id);
  });

  it('refuses unknown types and bad times with a reason', () => {
    expect(() => rees46ToEvent(row({ event_type: 'wishlist' }))).toThrow(Rees46RowError);
    expect(() => rees46ToEvent(row({ event_time: 'soon' }))).toThrow(/not a date/);
  });

  it('maps every row of the real sample to a valid, distinct event', () => {
    const rows = parse(readFileSync(sharedData('rees46-sample/events-2019-10-01-sample.csv')), { columns: true }) as Rees46Row[];
    const events = rows.map(rees46ToEvent);
    expect(events.filter((e) => !validateEvent(e).ok)).toEqual([]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(rows.length);
  });
});
