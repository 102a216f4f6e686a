import type * as Clickstream from '../../web/src/index';

/**
 * The demo storefront: a small catalogue, product pages, search, cart and checkout, every action tracked by the
 * clickstream-ml tracker (loaded as a plain script, `window.clickstream`), and a panel that scores the visitor's
 * session live through POST /predict with the session's raw events — the same call API users make.
 */

declare global {
  interface Window {
    clickstream: typeof Clickstream;
    CLICKSTREAM_DEMO: { endpoint: string; model?: string };
  }
}

interface Product {
  id: string;
  name: string;
  category: string;
  brand: string;
  price: number;
}

const params = new URLSearchParams(location.search);
const config = window.CLICKSTREAM_DEMO;
const model = params.get('model') ?? config.model ?? 'purchase-propensity';
const cs = window.clickstream;
cs.init({
  endpoint: config.endpoint,
  appId: 'demo-store',
  flushIntervalMs: Number(params.get('flush') ?? 2000),
  debug: params.has('debug'),
});

const $ = <T extends HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const view = $('#view');
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (n: number) => `$${n.toFixed(2)}`;
let catalog: Product[] = [];

// The session's events, for the propensity panel (the tracker sends them to the collector on its own).
const SESSION_KEY = 'demo:session-events';
let sessionEvents: Clickstream.TrackedEvent[] = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? '[]');

const cart = {
  items: JSON.parse(localStorage.getItem('demo:cart') ?? '[]') as { id: string; qty: number }[],
  save() {
    localStorage.setItem('demo:cart', JSON.stringify(this.items));
    $('#cart-count').textContent = String(this.items.reduce((n, i) => n + i.qty, 0));
  },
};

// The consent banner until the visitor answers (remembered by the tracker); declining stops tracking on this device.
const CONSENT_KEY = 'demo:consent-answered';
const banner = $('#consent');
banner.hidden = localStorage.getItem(CONSENT_KEY) !== null;
banner.addEventListener('click', (e) => {
  const answer = (e.target as HTMLElement).dataset.consent;
  if (answer === undefined) return;
  cs.consent(answer === 'true');
  localStorage.setItem(CONSENT_KEY, answer);
  banner.hidden = true;
});

const productProps = (p: Product) => ({ product: { id: p.id, category: p.category, brand: p.brand, price: p.price, currency: 'USD' } });

function tracked(event: Clickstream.TrackedEvent | undefined) {
  if (!event) return;
  if (sessionEvents[0] && sessionEvents[0].session_id !== event.session_id) sessionEvents = [];
  sessionEvents = [...sessionEvents, event].slice(-500);
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(sessionEvents));
  scoreSoon();
}

let scoring: ReturnType<typeof setTimeout> | undefined;
function scoreSoon() {
  clearTimeout(scoring);
  scoring = setTimeout(() => void score(), 250);
}

async function score() {
  const scored = sessionEvents.length;
  $('#session-info').textContent = `${scored} event(s) this session`;
  const response = await fetch(`${config.endpoint}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, session: { events: sessionEvents }, explain: true }),
  }).catch(() => undefined);
  const body = response && ((await response.json().catch(() => ({}))) as any);
  if (!response?.ok) {
    $('#propensity').textContent = '–';
    $('#model').textContent =
      response?.status === 404 ? `No "${model}" model is in production yet: npm start trains one.` : `The API answered ${response?.status ?? 'nothing'}.`;
    return;
  }
  const prediction = body.predictions[0];
  const p: number = prediction.probability;
  $('#propensity').textContent = `${(p * 100).toFixed(1)} %`;
  $('#propensity').dataset.probability = String(p);
  // How many of the session's events this score saw (the panel lags the clicks by a debounce and a request).
  $('#propensity').dataset.events = String(scored);
  $('#propensity-bar').style.width = `${Math.round(p * 100)}%`;
  $('#model').textContent = `${body.model} ${body.version}`;
  $('#contributions').innerHTML = (prediction.explanation?.top ?? [])
    .slice(0, 4)
    .map(
      (c: { feature: string; contribution: number }) =>
        `<li class="${c.contribution >= 0 ? 'up' : 'down'}">${esc(c.feature)} ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(2)}</li>`,
    )
    .join('');
}

const card = (p: Product) => `
  <article class="card" data-testid="product-card">
    <a href="#/product/${p.id}" data-testid="product-link"><h3>${esc(p.name)}</h3></a>
    <div class="muted">${esc(p.category)}</div>
    <div class="price">${money(p.price)}</div>
    <button data-add="${p.id}" data-testid="add-${p.id}">Add to cart</button>
  </article>`;

function home() {
  view.innerHTML = `<h1>Today's picks</h1><div class="grid">${catalog.map(card).join('')}</div>`;
}

function results(query: string) {
  const q = query.toLowerCase();
  const found = catalog.filter((p) => `${p.name} ${p.category} ${p.brand}`.toLowerCase().includes(q));
  view.innerHTML = `<h1>${found.length} result(s) for “${esc(query)}”</h1><div class="grid">${found.map(card).join('') || '<p>Nothing matches.</p>'}</div>`;
}

function productPage(id: string) {
  const p = catalog.find((x) => x.id === id);
  if (!p) return home();
  tracked(cs.track('product_view', productProps(p)));
  view.innerHTML = `<div class="box"><h1 data-testid="product-title">${esc(p.name)}</h1><p class="muted">${esc(p.category)} · ${esc(p.brand)}</p>
    <p class="price">${money(p.price)}</p><button data-add="${p.id}" data-testid="add-to-cart">Add to cart</button>
    <p class="looking" id="looking" data-testid="looking" hidden></p></div>`;
  void showLooking(p.id);
}

// "N people are looking at this": GET /realtime/products/{id}, the real-time windows of the last 5 minutes
// (public, cached 10 s by the API). Refreshed while the page shows the product; nothing shown when no one is counted.
let looking: ReturnType<typeof setTimeout> | undefined;
async function showLooking(id: string) {
  clearTimeout(looking);
  const response = await fetch(`${config.endpoint}/realtime/products/${encodeURIComponent(id)}?minutes=5`).catch(() => undefined);
  const body = response?.ok ? ((await response.json().catch(() => ({}))) as { people?: number }) : {};
  const element = document.querySelector<HTMLElement>('#looking');
  if (!element || location.hash !== `#/product/${id}`) return;
  const people = body.people ?? 0;
  element.hidden = people === 0;
  element.dataset.people = String(people);
  element.textContent = `${people} ${people === 1 ? 'person is' : 'people are'} looking at this product now`;
  looking = setTimeout(() => void showLooking(id), 10_000);
}

function cartPage() {
  const rows = cart.items.map((i) => ({ ...i, p: catalog.find((x) => x.id === i.id)! })).filter((r) => r.p);
  const total = rows.reduce((n, r) => n + r.qty * r.p.price, 0);
  view.innerHTML = `<div class="box"><h1>Your cart</h1>${
    rows.length === 0
      ? '<p>It is empty.</p>'
      : `<table>${rows.map((r) => `<tr><td>${esc(r.p.name)}</td><td>${r.qty} × ${money(r.p.price)}</td><td><button class="secondary" data-remove="${r.id}">Remove</button></td></tr>`).join('')}</table>
         <p class="price">Total ${money(total)}</p><a href="#/checkout"><button data-testid="checkout">Checkout</button></a>`
  }</div>`;
}

function checkoutPage() {
  const total = cart.items.reduce((n, i) => n + i.qty * (catalog.find((p) => p.id === i.id)?.price ?? 0), 0);
  if (cart.items.length === 0) return cartPage();
  tracked(cs.track('begin_checkout'));
  view.innerHTML = `<div class="box"><h1>Checkout</h1><p>Total <span class="price">${money(total)}</span></p>
    <button data-testid="place-order" id="place-order">Place order</button></div>`;
  $('#place-order').onclick = () => {
    const id = `demo-${Date.now().toString(36)}`;
    tracked(cs.track('purchase', { order: { id, revenue: Math.round(total * 100) / 100, currency: 'USD' } }));
    cart.items = [];
    cart.save();
    view.innerHTML = `<div class="box"><h1 data-testid="thanks">Thank you!</h1><p>Order ${esc(id)} is placed.</p><a href="#/">Keep shopping</a></div>`;
  };
}

function route() {
  tracked(cs.page());
  const [, page, arg] = location.hash.split('/');
  if (page === 'product' && arg) productPage(arg);
  else if (page === 'cart') cartPage();
  else if (page === 'checkout') checkoutPage();
  else if (page === 'search' && arg) results(decodeURIComponent(arg));
  else home();
}

document.addEventListener('click', (e) => {
  const target = e.target as HTMLElement;
  const add = target.dataset.add;
  const remove = target.dataset.remove;
  if (add) {
    const p = catalog.find((x) => x.id === add)!;
    const line = cart.items.find((i) => i.id === add);
    if (line) line.qty++;
    else cart.items.push({ id: add, qty: 1 });
    cart.save();
    tracked(cs.track('add_to_cart', productProps(p)));
  } else if (remove) {
    const p = catalog.find((x) => x.id === remove)!;
    cart.items = cart.items.filter((i) => i.id !== remove);
    cart.save();
    tracked(cs.track('remove_from_cart', productProps(p)));
    cartPage();
  }
});

$('#search').addEventListener('submit', (e) => {
  e.preventDefault();
  const query = String(new FormData(e.target as HTMLFormElement).get('q') ?? '').trim();
  if (!query) return;
  tracked(cs.track('search', { search: { query: query.slice(0, 512) } }));
  location.hash = `#/search/${encodeURIComponent(query)}`;
});

void (async () => {
  catalog = ((await (await fetch('catalog.json')).json()) as { products: Product[] }).products;
  cart.save();
  addEventListener('hashchange', route);
  route();
})();
