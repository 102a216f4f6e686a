import { BEHAVIOUR, DriftSpecError, parseDrift, ShopperModel } from '#domain/traffic/shopper-model';

const START = new Date('2026-11-28T00:00:00Z');
const sessions = (model: ShopperModel, n: number) => Array.from({ length: n }, () => model.session());

describe('drift of the synthetic shopper (npm run generate -- --drift)', () => {
  it('reads a spec of a time and behaviour parameters, and says what is wrong with a bad one', () => {
    expect(parseDrift('at=2026-11-28T12:00:00Z,intent=-0.5,mobile=80')).toEqual({
      at: Date.parse('2026-11-28T12:00:00Z'),
      behaviour: { ...BEHAVIOUR, intent: -0.5, mobile: 80 },
    });
    expect(parseDrift('checkout=0').at).toBe(Number.NEGATIVE_INFINITY);
    expect(() => parseDrift('speed=2')).toThrow(
      new DriftSpecError('Unknown drift parameter "speed"; known: at, intent, mobile, cart, checkout, returning, mobile_effect.'),
    );
    expect(() => parseDrift('at=soon')).toThrow(DriftSpecError);
    expect(() => parseDrift('mobile=120')).toThrow(/0–100/);
    expect(() => parseDrift('intent')).toThrow(/name=value/);
  });

  it('changes only the sessions from its time on; traffic without a drift is what the seed always gave', () => {
    const plain = sessions(new ShopperModel(5, START, 86_400_000), 400);
    const noDrift = sessions(new ShopperModel(5, START, 86_400_000, parseDrift('at=2030-01-01T00:00:00Z,mobile=100')), 400);
    expect(noDrift).toEqual(plain);
    const at = Date.parse('2026-11-28T12:00:00Z');
    const drifted = sessions(new ShopperModel(5, START, 86_400_000, parseDrift('at=2026-11-28T12:00:00Z,mobile=100,intent=-1')), 2000);
    const mobileShare = (list: typeof drifted) => list.filter((s) => s.events[0]!.context?.user_agent?.includes('iPhone')).length / list.length;
    const after = drifted.filter((s) => Date.parse(s.events[0]!.event_time) >= at);
    const before = drifted.filter((s) => Date.parse(s.events[0]!.event_time) < at);
    expect(mobileShare(after)).toBe(1);
    expect(mobileShare(before)).toBeLessThan(0.7);
    // Lower intent: fewer events a session, and fewer purchases; the truth follows the drifted behaviour.
    const mean = (list: typeof drifted, f: (s: (typeof drifted)[number]) => number) => list.reduce((sum, s) => sum + f(s), 0) / list.length;
    expect(mean(after, (s) => s.events.length)).toBeLessThan(mean(before, (s) => s.events.length));
    expect(mean(after, (s) => s.truth.purchase_probability)).toBeLessThan(mean(before, (s) => s.truth.purchase_probability));
  });

  it('keeps one shop across seeds when asked: other shoppers, the same catalogue (a product keeps its price)', () => {
    const prices = (model: ShopperModel) =>
      new Map(sessions(model, 300).flatMap((s) => s.events.flatMap((e) => (e.product ? [[e.product.id, e.product.price]] : []))));
    const a = prices(new ShopperModel(1, START, 86_400_000));
    const differing = (other: Map<string, number | undefined>) => [...other].filter(([id, price]) => a.has(id) && a.get(id) !== price).length;
    expect(differing(prices(new ShopperModel(2, START, 86_400_000, undefined, 1)))).toBe(0);
    expect(differing(prices(new ShopperModel(2, START, 86_400_000)))).toBeGreaterThan(10);
  });
});
