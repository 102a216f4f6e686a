import { validateEvent } from '#domain/events/schema';
import { purchaseProbability, ShopperModel } from '#domain/traffic/shopper-model';

const window = [new Date('2026-11-19T00:00:00Z'), 86_400_000] as const;
const sessions = (seed: number, n: number) => {
  const model = new ShopperModel(seed, ...window);
  return Array.from({ length: n }, () => model.session());
};

describe('synthetic shopper model', () => {
  const generated = sessions(3, 3000);

  it('is reproducible from its seed', () => {
    expect(sessions(3, 20)).toEqual(generated.slice(0, 20));
    expect(sessions(4, 1)[0]!.events[0]!.event_id).not.toBe(generated[0]!.events[0]!.event_id);
  });

  it('produces valid events, in time order, within the window', () => {
    for (const { events } of generated) {
      for (const e of events) expect(validateEvent(e).ok).toBe(true);
      const times = events.map((e) => Date.parse(e.event_time));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(times[0]!).toBeGreaterThanOrEqual(window[0].getTime());
    }
  });

  it('buys in about one session in seven, and only with something in the cart', () => {
    const rate = generated.filter((s) => s.truth.purchased).length / generated.length;
    expect(rate).toBeGreaterThan(0.08);
    expect(rate).toBeLessThan(0.22);
    for (const s of generated.filter((x) => x.truth.purchased)) {
      expect(s.events.at(-1)!.event_type).toBe('purchase');
    }
    expect(purchaseProbability({ netCartItems: 0, checkout: false, productViews: 9, returning: true, device: 'desktop', referrer: 'email' })).toBeLessThan(
      0.01,
    );
  });

  it('makes the purchase probability follow cart and checkout', () => {
    const base = { netCartItems: 1, checkout: false, productViews: 3, returning: false, device: 'desktop' as const, referrer: 'direct' as const };
    expect(purchaseProbability({ ...base, checkout: true })).toBeGreaterThan(purchaseProbability(base));
    expect(purchaseProbability({ ...base, netCartItems: 3 })).toBeGreaterThan(purchaseProbability(base));
  });
});
