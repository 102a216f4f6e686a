import type { ProductFigures, WindowFigures } from '#domain/realtime/window';

const time = (iso: string) => iso.slice(11, 19);
const pad = (text: string | number, width: number) => String(text).padStart(width);
const money = (revenue: Record<string, number>) =>
  Object.entries(revenue)
    .map(([currency, amount]) => `${amount.toFixed(2)} ${currency}`)
    .join(' + ') || '0';
const percent = (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`);
const ms = (value: number | null) => {
  if (value === null) return '–';
  if (value < 10_000) return `${value} ms`;
  if (value < 120_000) return `${(value / 1000).toFixed(1)} s`;
  return value < 7_200_000 ? `${(value / 60_000).toFixed(1)} min` : `${(value / 3_600_000).toFixed(1)} h`;
};
const products = (list: readonly ProductFigures[]) => list.map((p) => `${p.product_id} (${p.count}, ${p.people} people)`).join(', ') || '–';

/** The real-time figures as a terminal table: a row per window (UTC), the range's total, its top products. */
export function formatRealtime(figures: { from: string; to: string; windows: readonly WindowFigures[]; total: WindowFigures }, windowSeconds: number): string {
  const header = `${pad('window', 8)} ${pad('events', 7)} ${pad('bad', 6)} ${pad('sessions', 8)} ${pad('visitors', 8)}  ${pad('viewed→carted→checkout→bought', 29)} ${pad('orders', 6)}  revenue           lag p50/p95`;
  const row = (label: string, w: WindowFigures) =>
    `${pad(label, 8)} ${pad(w.events.total, 7)} ${pad(percent(w.bad_rate), 6)} ${pad(w.sessions, 8)} ${pad(w.visitors, 8)}  ${pad(
      `${w.funnel.viewed}→${w.funnel.carted}→${w.funnel.checkout}→${w.funnel.purchased}`,
      29,
    )} ${pad(w.orders, 6)}  ${money(w.revenue).padEnd(17)} ${ms(w.lag_ms.p50)} / ${ms(w.lag_ms.p95)}`;
  const lines = [
    `real-time figures, ${windowSeconds} s windows, ${time(figures.from)}–${time(figures.to)} UTC (windows close ${windowSeconds} s after they start; the open one is not shown)`,
    header,
    ...figures.windows.map((w) => row(time(w.start), w)),
  ];
  if (figures.windows.length === 0) lines.push('  no window has closed in this range: is traffic flowing (npm run generate) and the stack up?');
  else {
    lines.push(row('total', figures.total));
    lines.push(`top viewed: ${products(figures.total.top_viewed.slice(0, 5))}`);
    lines.push(`top carted: ${products(figures.total.top_carted.slice(0, 5))}`);
    if (figures.total.replayed > 0) lines.push(`(${figures.total.replayed} replayed or backfilled events not counted as traffic)`);
  }
  return lines.join('\n');
}
