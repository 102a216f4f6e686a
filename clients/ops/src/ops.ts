import uPlot from 'uplot';

/**
 * The local operations page: polls /ops/data.json (local/ops.ts) and draws the pipeline left to right, the
 * lake's partitions, the last bad rows, training runs, the registry, and the production and candidate models'
 * ROC and calibration curves (uPlot, bundled: no CDN).
 */

type Curves = { roc: [number, number][]; calibration: { predicted: number; observed: number; count: number }[] };
type Version = { version: string; roc_auc: number; ece: number; curves?: { test: Curves; baseline?: Curves }; flagged_by_erasures?: string[] };
interface Data {
  at: string;
  collector: { accepted: number; rejected: number; without_consent: number; per_minute: [number, number][] };
  stream: { name: string; status: string; mode: string; openShards: number; ingest: Record<string, number> | null };
  ingest: { delivered: number; bad_rows: number; duplicates: number; failures: number };
  firehose: { buffers: { stream: string; prefix: string; records: number; bytes: number; ageMs: number }[] };
  lake: {
    raw: { objects: number; rows: number; partitions: { partition: string; objects: number; rows: number }[] };
    bad: {
      objects: number;
      rows: number;
      by_type: Record<string, number>;
      last: { failed_at: string; type: string; event_id?: string; errors: { path: string; message: string }[] }[];
    };
  };
  training: { runs: { name: string; status: string; started: string; seconds?: number }[] };
  models: {
    name: string;
    aliases: { alias: string; version: string; history: { at: string; from: string | null; to: string; by: string; reason: string }[] }[];
    versions: Version[];
    runs: { run_id: string; outcome: string; at: string; version?: string; reasons?: string[] }[];
    production?: Version;
    candidate?: Version;
  }[];
  predict: { sessions: number; latency_ms: { p50: number | null; p99: number | null; samples: number } };
  realtime: { window_seconds: number; minutes: number; windows: RealtimeWindow[]; total: RealtimeWindow };
}

/** One window's figures as GET /realtime gives them (src/domain/realtime/window.ts). */
interface RealtimeWindow {
  start: string;
  events: { total: number };
  bad_events: number;
  sessions: number;
  visitors: number;
  funnel: { viewed: number; carted: number; checkout: number; purchased: number };
  orders: number;
  revenue: Record<string, number>;
  top_viewed: { product_id: string; count: number; people: number }[];
  lag_ms: { p50: number | null; p95: number | null };
}

const $ = (id: string) => document.getElementById(id)!;
const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toLocaleString('en-US'));
const list = (el: string, entries: [string, string | number | null | undefined, string?][]) => {
  $(el).innerHTML = entries
    .map(([k, v, test]) => `<dt>${esc(k)}</dt><dd${test ? ` data-testid="${test}"` : ''}>${typeof v === 'number' ? n(v) : esc(v ?? '–')}</dd>`)
    .join('');
};
const table = (el: string, head: string[], rows: (string | number)[][]) => {
  $(el).innerHTML = `<tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows
    .map((r) => `<tr>${r.map((c) => (typeof c === 'number' ? `<td class="n">${n(c)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('')}`;
};

const charts = new Map<string, uPlot>();
/** Draws (or redraws) a chart: x values and one y series per line, each line a label. */
function chart(
  id: string,
  x: number[],
  series: { label: string; y: (number | null)[]; stroke: string; points?: boolean }[],
  opts: { time?: boolean; unit?: boolean } = {},
) {
  const el = $(id);
  const data = [x, ...series.map((s) => s.y)] as uPlot.AlignedData;
  const existing = charts.get(id);
  if (
    existing &&
    existing.series
      .slice(1)
      .map((s) => s.label)
      .join('|') === series.map((s) => s.label).join('|')
  ) {
    existing.setData(data);
    return;
  }
  existing?.destroy();
  el.innerHTML = '';
  const unit = opts.unit ? { range: [0, 1] as [number, number] } : {};
  charts.set(
    id,
    new uPlot(
      {
        width: Math.max(280, el.clientWidth || 380),
        height: 260,
        scales: { x: { time: opts.time ?? false, ...unit }, y: unit },
        axes: [{}, { size: 60 }],
        // spanGaps: curves on a shared x axis have no value at the other curves' x values.
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, spanGaps: true, points: { show: s.points ?? false } }))],
      },
      data,
      el,
    ),
  );
}

/** Several curves on one x axis: the union of their x values, each curve's y where it has one (uPlot joins them). */
function curveChart(id: string, input: { label: string; points: [number, number][]; stroke: string }[], withPoints = false) {
  // A ROC curve rises straight up at some x: nudge repeated x values apart so each point keeps its own y.
  const curves = input.map((c) => ({
    ...c,
    points: c.points.map(([x, y], i, all): [number, number] => [x + (i > 0 && all[i - 1]![0] === x ? i * 1e-9 : 0), y]),
  }));
  const xs = [...new Set(curves.flatMap((c) => c.points.map((p) => p[0])))].sort((a, b) => a - b);
  const series = curves.map((c) => {
    const at = new Map(c.points.map(([x, y]) => [x, y]));
    return { label: c.label, stroke: c.stroke, points: withPoints, y: xs.map((x) => at.get(x) ?? null) };
  });
  chart(id, xs, [...series, { label: 'perfect', stroke: '#bbb', y: xs.map((x) => x) }], { unit: true });
  $(id).dataset.points = String(curves.reduce((k, c) => k + c.points.length, 0));
}

function render(d: Data): void {
  $('updated').textContent = `updated ${new Date(d.at).toLocaleTimeString()}`;
  list('collector', [
    ['accepted', d.collector.accepted, 'accepted'],
    ['rejected', d.collector.rejected],
    ['no consent', d.collector.without_consent],
  ]);
  const m = d.stream.ingest;
  list('stream', [
    ['status', `${d.stream.status} (${d.stream.mode})`],
    ['shards', d.stream.openShards],
    ['records read', m?.records ?? null, 'stream-read'],
    ['iterator age ms', m?.iteratorAgeMs ?? null],
    ['retries', m?.retries ?? null],
    ['to on-failure', m?.sentToOnFailure ?? null],
  ]);
  list('ingest', [
    ['delivered', d.ingest.delivered, 'delivered'],
    ['bad rows', d.ingest.bad_rows],
    ['duplicates', d.ingest.duplicates],
    ['failures', d.ingest.failures],
  ]);
  list('lake', [
    ['raw rows', d.lake.raw.rows, 'raw-rows'],
    ['raw objects', d.lake.raw.objects],
    ['bad rows', d.lake.bad.rows, 'bad-rows-count'],
    ...Object.entries(d.lake.bad.by_type).map(([t, k]): [string, number] => [`  ${t}`, k]),
    ['buffered', d.firehose.buffers.reduce((k, b) => k + b.records, 0)],
  ]);
  const last = d.training.runs[0];
  // ?model=NAME picks the model shown (default: the project's purchase-propensity, else the first).
  const wanted = new URLSearchParams(location.search).get('model') ?? 'purchase-propensity';
  const model = d.models.find((x) => x.name === wanted) ?? d.models[0];
  list('training', [
    ['runs', d.training.runs.length],
    ['last', last ? `${last.status}${last.seconds ? ` in ${last.seconds.toFixed(0)} s` : ''}` : null],
    ['last outcome', model?.runs[0]?.outcome ?? null],
  ]);
  list('predict', [
    ['production', model?.production?.version ?? null],
    ['sessions scored', d.predict.sessions],
    ['p50 ms', d.predict.latency_ms.p50],
    ['p99 ms', d.predict.latency_ms.p99],
  ]);
  const rt = d.realtime;
  const lastWindow = rt.windows.at(-1);
  const hot = rt.total.top_viewed[0];
  list('realtime', [
    [`events (${rt.minutes} min)`, rt.total.events.total, 'realtime-events'],
    ['visitors', rt.total.visitors],
    ['last window', lastWindow ? `${lastWindow.start.slice(11, 19)}: ${lastWindow.events.total} events, ${lastWindow.sessions} sessions` : null],
    ['most viewed', hot ? `${hot.product_id} (${hot.people} people)` : null],
  ]);
  chart(
    'realtime-chart',
    rt.windows.map((w) => Date.parse(w.start) / 1000),
    [
      { label: 'events', stroke: '#2563eb', y: rt.windows.map((w) => w.events.total) },
      { label: 'sessions', stroke: '#16a34a', y: rt.windows.map((w) => w.sessions) },
      { label: 'bad events', stroke: '#dc2626', y: rt.windows.map((w) => w.bad_events) },
    ],
    { time: true },
  );
  table(
    'realtime-windows',
    ['window (UTC)', 'events', 'bad', 'sessions', 'visitors', 'viewed→carted→checkout→bought', 'orders', 'revenue', 'lag p50 s', 'lag p95 s'],
    [...rt.windows].reverse().map((w) => [
      w.start.slice(11, 19),
      w.events.total,
      w.bad_events,
      w.sessions,
      w.visitors,
      `${w.funnel.viewed}→${w.funnel.carted}→${w.funnel.checkout}→${w.funnel.purchased}`,
      w.orders,
      Object.entries(w.revenue)
        .map(([c, v]) => `${v.toFixed(2)} ${c}`)
        .join(' + ') || '0',
      w.lag_ms.p50 === null ? '–' : Math.round(w.lag_ms.p50 / 1000),
      w.lag_ms.p95 === null ? '–' : Math.round(w.lag_ms.p95 / 1000),
    ]),
  );
  table(
    'partitions',
    ['partition', 'objects', 'rows'],
    d.lake.raw.partitions.map((p) => [p.partition, p.objects, p.rows]),
  );
  table(
    'buffers',
    ['stream', 'prefix', 'records', 'age s'],
    d.firehose.buffers.map((b) => [b.stream, b.prefix, b.records, Math.round(b.ageMs / 1000)]),
  );
  table(
    'bad-rows',
    ['failed at', 'type', 'errors'],
    d.lake.bad.last.map((r) => [r.failed_at, r.type, r.errors.map((e) => `${e.path} ${e.message}`).join('; ')]),
  );
  table(
    'runs',
    ['run', 'status', 'seconds', 'outcome'],
    d.training.runs.map((r) => [
      r.name,
      r.status,
      r.seconds === undefined ? '' : Math.round(r.seconds),
      model?.runs.find((x) => x.run_id === r.name)?.outcome ?? '',
    ]),
  );
  $('registry').innerHTML = d.models
    .map(
      (md) => `<h3>${esc(md.name)}</h3>
      <p>${md.aliases.map((a) => `<b>${esc(a.alias)}</b> → ${esc(a.version)}`).join(', ') || 'no aliases'}</p>
      <table><tr><th>version</th><th>test ROC-AUC</th><th>ECE</th><th></th></tr>${md.versions
        .map(
          (v) =>
            `<tr><td>${esc(v.version)}</td><td class="n">${v.roc_auc.toFixed(3)}</td><td class="n">${v.ece.toFixed(3)}</td><td class="bad">${v.flagged_by_erasures ? 'trained on erased data: retrain' : ''}</td></tr>`,
        )
        .join('')}</table>
      <table><tr><th>when</th><th>alias</th><th>from → to</th><th>by</th><th>why</th></tr>${md.aliases
        .flatMap((a) => a.history.map((h) => ({ ...h, alias: a.alias })))
        .sort((a, b) => b.at.localeCompare(a.at))
        .slice(0, 10)
        .map(
          (h) =>
            `<tr><td>${esc(h.at)}</td><td>${esc(h.alias)}</td><td>${esc(h.from ?? '–')} → ${esc(h.to)}</td><td>${esc(h.by)}</td><td>${esc(h.reason)}</td></tr>`,
        )
        .join('')}</table>`,
    )
    .join('');

  const perMinute = d.collector.per_minute;
  chart(
    'accepted-chart',
    perMinute.map(([t]) => t / 1000),
    [{ label: 'accepted', stroke: '#2a6', y: perMinute.map(([, k]) => k) }],
    { time: true },
  );
  const curves: { label: string; test?: Curves; stroke: string }[] = [
    { label: `production ${model?.production?.version ?? ''}`, test: model?.production?.curves?.test, stroke: '#26c' },
    { label: `candidate ${model?.candidate?.version ?? ''}`, test: model?.candidate?.curves?.test, stroke: '#d62' },
  ];
  const drawn = curves.filter((c): c is { label: string; test: Curves; stroke: string } => c.test !== undefined);
  if (drawn.length > 0) {
    curveChart(
      'roc-chart',
      drawn.map((c) => ({ label: c.label, stroke: c.stroke, points: c.test.roc })),
    );
    curveChart(
      'calibration-chart',
      drawn.map((c) => ({ label: c.label, stroke: c.stroke, points: c.test.calibration.map((b) => [b.predicted, b.observed] as [number, number]) })),
      true,
    );
  }
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch('data.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`data.json answered ${response.status}: ${await response.text()}`);
    render((await response.json()) as Data);
  } catch (error) {
    $('updated').textContent = `could not refresh: ${(error as Error).message}`;
  } finally {
    setTimeout(() => void refresh(), 3000);
  }
}

void refresh();
