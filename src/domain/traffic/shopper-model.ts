import type { ClickstreamEvent } from '../events/schema';
import { Random, sigmoid } from './random';

/**
 * The synthetic shopper (docs/data.md, "Synthetic traffic"). A session has visible traits (device, referrer,
 * returning visitor, time of day) and a hidden intent that drives how much it browses and carts.
 * Whether it buys is then drawn from a probability that depends only on what the session did before
 * buying (carts, checkout, views, traits) — so that probability, kept in `truth`, is what an ideal model
 * could know, and its AUC is the Bayes-optimal AUC on generated data.
 */
export interface GeneratedSession {
  events: ClickstreamEvent[];
  truth: { session_id: string; purchase_probability: number; purchased: boolean };
}

const CATEGORIES = [
  'electronics.smartphone',
  'electronics.audio',
  'computers.notebook',
  'appliances.kitchen',
  'apparel.shoes',
  'furniture.living_room',
  'sport.bicycle',
  'kids.toys',
] as const;
const BRANDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne'] as const;
const USER_AGENTS = {
  mobile: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/604.1',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
} as const;
const REFERRERS = {
  direct: undefined,
  search: 'https://www.google.com/',
  social: 'https://www.instagram.com/',
  email: 'https://mail.example.com/',
  ads: 'https://ads.example.net/click',
} as const;
type Device = keyof typeof USER_AGENTS;
type Referrer = keyof typeof REFERRERS;

/** A product catalogue fixed by the seed, so prices and categories repeat across sessions. */
function catalogue(random: Random) {
  return Array.from({ length: 200 }, (_, i) => ({
    id: `p-${1000 + i}`,
    category: random.pick(CATEGORIES),
    brand: random.pick(BRANDS),
    price: Math.round(Math.exp(2.5 + random.next() * 4) * 100) / 100,
  }));
}

/** Sessions start more often in the evening (UTC hour weights). */
const HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 6, 5, 5, 6, 7, 9, 10, 10, 8, 5, 3].map((w, h) => [h, w] as const);

/**
 * What a drift may change (`npm run generate -- --drift`): the hidden intent's mean (shoppers browse and cart less
 * or more: the features move), the share of mobile sessions (%), and the weights of carts, checkout, returning
 * visitors and mobile in the purchase probability (what a session's behaviour means changes: a model trained
 * before is wrong in a way no feature shows).
 */
export interface Behaviour {
  intent: number;
  mobile: number;
  cart: number;
  checkout: number;
  returning: number;
  mobile_effect: number;
}

export const BEHAVIOUR: Behaviour = { intent: 0, mobile: 55, cart: 0.55, checkout: 1.6, returning: 0.6, mobile_effect: -0.45 };

/** Sessions starting at or after `at` (ms) behave as `behaviour` says. */
export interface Drift {
  at: number;
  behaviour: Behaviour;
}

export class DriftSpecError extends Error {
  override name = 'DriftSpecError';
}

/** A drift from its spec: "at=<ISO time>,<parameter>=<number>,…" (no `at`: from the first session). */
export function parseDrift(spec: string): Drift {
  let at = Number.NEGATIVE_INFINITY;
  const behaviour = { ...BEHAVIOUR };
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)) {
    const [name, value] = part.split('=').map((x) => x.trim()) as [string, string | undefined];
    if (value === undefined || value === '') throw new DriftSpecError(`"${part}" is not name=value.`);
    if (name === 'at') {
      at = Date.parse(value);
      if (Number.isNaN(at)) throw new DriftSpecError(`at=${value} is not a date (ISO 8601, e.g. 2025-06-01T00:00:00Z).`);
    } else if (name in BEHAVIOUR) {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new DriftSpecError(`${name}=${value} is not a number.`);
      behaviour[name as keyof Behaviour] = n;
    } else throw new DriftSpecError(`Unknown drift parameter "${name}"; known: at, ${Object.keys(BEHAVIOUR).join(', ')}.`);
  }
  if (behaviour.mobile < 0 || behaviour.mobile > 100) throw new DriftSpecError(`mobile is a share of sessions in %, 0–100; got ${behaviour.mobile}.`);
  return { at, behaviour };
}

/** The purchase probability given what the session did: the model's "truth". */
export function purchaseProbability(
  s: {
    netCartItems: number;
    checkout: boolean;
    productViews: number;
    returning: boolean;
    device: Device;
    referrer: Referrer;
  },
  b: Behaviour = BEHAVIOUR,
): number {
  if (s.netCartItems === 0) return 0.004;
  return sigmoid(
    -3.1 +
      b.cart * Math.min(s.netCartItems, 4) +
      b.checkout * (s.checkout ? 1 : 0) +
      0.25 * Math.sqrt(s.productViews) +
      b.returning * (s.returning ? 1 : 0) +
      b.mobile_effect * (s.device === 'mobile' ? 1 : 0) +
      0.5 * (s.referrer === 'email' ? 1 : 0) -
      0.3 * (s.referrer === 'social' ? 1 : 0),
  );
}

export class ShopperModel {
  private readonly random: Random;
  private readonly products: ReturnType<typeof catalogue>;
  private readonly visitors: string[] = [];

  /** `windowStart`/`windowMs`: sessions start within this time window (by the hour weights). */
  constructor(
    seed: number,
    private readonly windowStart: Date,
    private readonly windowMs: number,
    private readonly drift?: Drift,
    /** The shop (its catalogue's seed; default the seed): other shoppers of the same shop come from another seed and the same shop. */
    shop: number = seed,
  ) {
    this.random = new Random(seed);
    this.products = catalogue(new Random(shop ^ 0x5eed));
  }

  session(): GeneratedSession {
    const r = this.random;
    let device = r.weighted<Device>([
      ['mobile', 55],
      ['desktop', 35],
      ['tablet', 10],
    ]);
    const referrer = r.weighted<Referrer>([
      ['direct', 30],
      ['search', 30],
      ['social', 15],
      ['email', 10],
      ['ads', 15],
    ]);
    const returning = this.visitors.length > 0 && r.bernoulli(0.3);
    const anonymousId = returning ? r.pick(this.visitors) : r.uuid();
    if (!returning) this.visitors.push(anonymousId);
    const sessionId = r.uuid();
    let intent = r.normal();

    const days = Math.max(1, Math.round(this.windowMs / 86_400_000));
    const day = r.int(0, days - 1);
    const hour = r.weighted(HOUR_WEIGHTS);
    let t = Math.min(
      this.windowStart.getTime() + this.windowMs - 3_600_000,
      this.windowStart.getTime() + day * 86_400_000 + hour * 3_600_000 + r.next() * 3_600_000,
    );

    // A drifted session draws its device again (only then: undrifted traffic stays what the seed always gave).
    const drifted = this.drift !== undefined && t >= this.drift.at;
    const behaviour = drifted ? this.drift!.behaviour : BEHAVIOUR;
    if (drifted) {
      intent += behaviour.intent;
      const others = 100 - behaviour.mobile;
      device = r.weighted<Device>([
        ['mobile', behaviour.mobile],
        ['desktop', (others * 35) / 45],
        ['tablet', (others * 10) / 45],
      ]);
    }

    const events: ClickstreamEvent[] = [];
    const base = {
      session_id: sessionId,
      anonymous_id: anonymousId,
      context: { user_agent: USER_AGENTS[device], locale: r.pick(['en-US', 'en-GB', 'de-DE', 'fr-FR']) },
    };
    const emit = (event_type: ClickstreamEvent['event_type'], extra: Partial<ClickstreamEvent> = {}) => {
      t += r.exponential(device === 'mobile' ? 20_000 : 35_000) + 1_000;
      events.push({ event_id: r.uuid(), event_type, event_time: new Date(t).toISOString(), ...base, ...extra });
    };
    const referrerUrl = REFERRERS[referrer];
    emit('page_view', { page: { url: 'https://shop.example.com/', title: 'Home', ...(referrerUrl ? { referrer: referrerUrl } : {}) } });

    const views = 1 + r.poisson(Math.exp(0.7 + 0.45 * intent));
    const cart: (typeof this.products)[number][] = [];
    let productViews = 0;
    for (let i = 0; i < views; i++) {
      if (r.bernoulli(0.25 + (referrer === 'search' ? 0.2 : 0))) emit('search', { search: { query: r.pick(CATEGORIES).split('.')[1]!.replace('_', ' ') } });
      const product = r.pick(this.products);
      productViews += 1;
      emit('product_view', { product: { ...product, currency: 'USD' }, page: { url: `https://shop.example.com/p/${product.id}` } });
      if (r.bernoulli(sigmoid(-1.6 + 0.9 * intent))) {
        cart.push(product);
        emit('add_to_cart', { product: { ...product, currency: 'USD' } });
      }
      if (cart.length > 0 && r.bernoulli(0.08)) {
        const removed = cart.pop()!;
        emit('remove_from_cart', { product: { id: removed.id, category: removed.category, brand: removed.brand, price: removed.price, currency: 'USD' } });
      }
    }
    const checkout = cart.length > 0 && r.bernoulli(sigmoid(-0.6 + 0.7 * intent + 0.3 * cart.length));
    if (checkout) emit('begin_checkout', { page: { url: 'https://shop.example.com/checkout' } });

    const p = purchaseProbability({ netCartItems: cart.length, checkout, productViews, returning, device, referrer }, behaviour);
    const purchased = r.bernoulli(p);
    if (purchased) {
      const revenue = Math.round(cart.reduce((s, item) => s + item.price, 0) * 100) / 100;
      emit('purchase', { order: { id: r.uuid(), revenue, currency: 'USD' } });
    }
    return { events, truth: { session_id: sessionId, purchase_probability: p, purchased } };
  }
}
