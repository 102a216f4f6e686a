/**
 * The monthly AWS bill of the stack, from usage per event measured by running the real functions on the local
 * cloud (cost/usage.json, `npm run cost -- --measure`) and dated list prices (cost/prices.us-east-1.json). Pure
 * arithmetic: every line says what it counts, how many, and at which price.
 */

export const SECONDS_PER_MONTH = 30 * 24 * 3600;
const GB = 1024 ** 3;
const HOURS_PER_MONTH = SECONDS_PER_MONTH / 3600;

export interface Price {
  usd: number;
  per: string;
  source: string;
  tiers?: [number | null, number][];
}

export interface Prices {
  region: string;
  checked: string;
  prices: Record<string, Price>;
}

/** What one measured run of the pipeline used, per event and per request (cost/usage.json). */
export interface MeasuredUsage {
  measured_at: string;
  commit: string;
  run: { events: number; requests: number; events_per_request: number; event_bytes: number; note: string };
  per_event: {
    /** Stream records per event: below 1 when the collector puts a request's events of one session in one record. */
    kinesis_records: number;
    kinesis_bytes: number;
    kinesis_kb_units: number;
    kinesis_payload_units: number;
    firehose_bytes: number;
    firehose_billed_bytes: number;
    firehose_delivered_bytes: number;
    s3_stored_bytes: number;
    dynamodb_read_units: number;
    dynamodb_write_units: number;
    ingest_billed_ms: number;
  };
  per_request: { collect_billed_ms: number };
  predict_billed_ms: number;
  /** Prediction capture (README, "Monitoring models"), per prediction: Firehose's billed bytes (5 KB rounding per record) and what S3 keeps (GZIP). */
  prediction_capture?: { billed_bytes: number; stored_bytes: number };
  /** The raw stream's transform (partitionRaw): billed ms per MB of records it reads. */
  partition_billed_ms_per_mb: number;
  /**
   * The real-time consumer (README, "Real-time analytics"): its batches' billed ms per event, its final invocation's
   * billed ms (once per window and shard), and the table's write units per window and shard, at the measured rate.
   */
  realtime?: {
    measured_at?: string;
    commit?: string;
    note?: string;
    window_seconds: number;
    windows: number;
    billed_ms_per_event: number;
    billed_ms_per_final: number;
    write_units_per_window: number;
  };
}

export interface Scenario {
  /** Requests per second to POST /events, all month. */
  rps: number;
  eventsPerRequest: number;
  /** Serialized bytes per event (default: the measured mean); byte-priced usage scales with it. */
  eventBytes?: number;
  /** The stack as configured (serverless.yml stage params), or the options under consideration. */
  config: StackConfig;
}

export interface StackConfig {
  collector: 'http-api' | 'function-url';
  kinesis: { mode: 'on-demand' } | { mode: 'provisioned'; shards?: number };
  dedup: boolean;
  collectMemoryMb: number;
  ingestMemoryMb: number;
  partitionMemoryMb: number;
  ingestBatchSize: number;
  ingestBatchWindowSeconds: number;
  rawBufferIntervalSeconds: number;
  rawBufferSizeMb: number;
  /** Lambda's START/END/REPORT lines (off when the functions' system log level is WARN, JSON log format). */
  platformLogs: boolean;
  accessLogs: boolean;
  /** The real-time consumer (stage params realtimeWindowSeconds, its memory): billed apart, see realtimeCost. */
  realtime?: { windowSeconds: number; memoryMb: number };
}

export interface CostLine {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  usd: number;
  price: string;
}

export interface Bill {
  lines: CostLine[];
  total: number;
  events: number;
  requests: number;
}

/** Assumptions the measurement cannot give, each stated where it is used. */
export const ASSUMPTIONS = {
  platformLogBytesPerInvocation: 330,
  accessLogBytesPerRequest: 330,
  kinesisShardRecordsPerSecond: 1000,
  kinesisShardBytesPerSecond: 1024 * 1024,
  /** Provisioned shards sized with this headroom over the average rate. */
  shardHeadroom: 2,
  onDemandShards: 4,
  /** The raw stream's transform is invoked when its 3 MB buffer fills or every 60 s (resources/ingestion.yml). */
  transformBufferMb: 3,
  transformIntervalSeconds: 60,
  /** Days a dedup item lives (its TTL), ~100 bytes each. */
  dedupItemBytes: 100,
} as const;

/** Shards for a steady rate, with headroom: each takes 1,000 records and 1 MB a second. */
export const provisionedShards = (recordsPerSecond: number, bytesPerRecord: number): number =>
  Math.max(
    1,
    Math.ceil(
      ASSUMPTIONS.shardHeadroom *
        Math.max(recordsPerSecond / ASSUMPTIONS.kinesisShardRecordsPerSecond, (recordsPerSecond * bytesPerRecord) / ASSUMPTIONS.kinesisShardBytesPerSecond),
    ),
  );

function tiered(price: Price, quantity: number, scale: number): number {
  if (!price.tiers) return (quantity / scale) * price.usd;
  let left = quantity;
  let usd = 0;
  for (const [size, rate] of price.tiers) {
    const take = size === null ? left : Math.min(left, size);
    usd += (take / scale) * rate;
    left -= take;
    if (left <= 0) break;
  }
  return usd;
}

/** One line of a bill: `quantity` of `unit`, priced by `priceName` per `scale` units (tiers applied). */
function costLine(prices: Prices, service: string, item: string, quantity: number, unit: string, priceName: string, scale = 1): CostLine {
  const price = prices.prices[priceName];
  if (!price) throw new Error(`cost/prices: no price "${priceName}".`);
  return { service, item, quantity, unit, usd: tiered(price, quantity, scale), price: `$${price.usd} per ${price.per}` };
}

export function monthlyBill(usage: MeasuredUsage, prices: Prices, scenario: Scenario): Bill {
  const { config } = scenario;
  const requests = scenario.rps * SECONDS_PER_MONTH;
  const events = requests * scenario.eventsPerRequest;
  const eventsPerSecond = scenario.rps * scenario.eventsPerRequest;
  // Bytes scale with the event size; records and requests do not.
  const byteScale = (scenario.eventBytes ?? usage.run.event_bytes) / usage.run.event_bytes;
  const u = usage.per_event;
  const lines: CostLine[] = [];
  const line = (service: string, item: string, quantity: number, unit: string, name: string, scale: number) =>
    lines.push(costLine(prices, service, item, quantity, unit, name, scale));
  const lambda = (fn: string, invocations: number, billedSeconds: number, memoryMb: number) => {
    line(`Lambda (${fn})`, 'requests', invocations, 'requests', 'lambdaRequests', 1e6);
    line(`Lambda (${fn})`, `duration at ${memoryMb} MB`, billedSeconds * (memoryMb / 1024), 'GB-s', 'lambdaArmGbSecond', 1);
  };

  // Collector
  if (config.collector === 'http-api') line('API Gateway HTTP API', 'POST /events requests', requests, 'requests', 'httpApiRequests', 1e6);
  lambda('collect', requests, (requests * usage.per_request.collect_billed_ms) / 1000, config.collectMemoryMb);

  // Kinesis: each record rounded up to 1 KB (on-demand) or a 25 KB payload unit (provisioned): at least one unit a record.
  const records = events * u.kinesis_records;
  const kbUnits = Math.max(records, events * u.kinesis_kb_units * byteScale);
  const bytesPerRecord = (u.kinesis_bytes * byteScale) / u.kinesis_records;
  if (config.kinesis.mode === 'on-demand') {
    line('Kinesis (on-demand)', 'stream-hours', HOURS_PER_MONTH, 'hours', 'kinesisOnDemandStreamHour', 1);
    line('Kinesis (on-demand)', 'data in (records rounded up to 1 KB)', (kbUnits * 1024) / GB, 'GB', 'kinesisOnDemandDataInGb', 1);
    line('Kinesis (on-demand)', 'data out to ingest', (kbUnits * 1024) / GB, 'GB', 'kinesisOnDemandDataOutGb', 1);
  } else {
    const shards = config.kinesis.shards ?? provisionedShards(eventsPerSecond * u.kinesis_records, bytesPerRecord);
    line('Kinesis (provisioned)', `shard-hours (${shards} shards)`, shards * HOURS_PER_MONTH, 'shard-hours', 'kinesisShardHour', 1);
    // 25 KB units are coarse: a record of a request's events (a few KB) takes one whatever its exact size.
    line('Kinesis (provisioned)', 'PUT payload units', records * Math.ceil(bytesPerRecord / (25 * 1024)), 'units', 'kinesisPutPayloadUnits', 1e6);
  }

  // Ingest: per shard, an invocation when a batch fills or its window ends; duration measured per event.
  const shards =
    config.kinesis.mode === 'provisioned'
      ? (config.kinesis.shards ?? provisionedShards(eventsPerSecond * u.kinesis_records, bytesPerRecord))
      : ASSUMPTIONS.onDemandShards;
  // A batch holds up to ingestBatchSize records (of several events each).
  const perShard = (eventsPerSecond * u.kinesis_records) / shards;
  const invocationsPerSecond = shards * Math.max(1 / config.ingestBatchWindowSeconds, perShard / config.ingestBatchSize);
  lambda('ingest', invocationsPerSecond * SECONDS_PER_MONTH, (events * u.ingest_billed_ms) / 1000, config.ingestMemoryMb);

  if (config.dedup) {
    line('DynamoDB (dedup table)', 'write request units', events * u.dynamodb_write_units, 'WRU', 'dynamodbWriteUnits', 1e6);
    line('DynamoDB (dedup table)', 'read request units', events * u.dynamodb_read_units, 'RRU', 'dynamodbReadUnits', 1e6);
    line('DynamoDB (dedup table)', 'storage (a day of keys)', ((events / 30) * ASSUMPTIONS.dedupItemBytes) / GB, 'GB-month', 'dynamodbStorageGbMonth', 1);
  }

  // Firehose: ingestion per record rounded to 5 KB (ingest puts gzip members of many rows), dynamic partitioning on
  // the bytes it partitions and the objects it writes; its transform reads each record's partition from its header.
  const deliveredGb = (events * u.firehose_delivered_bytes * byteScale) / GB;
  line('Firehose', 'ingestion (5 KB rounding per record)', (events * u.firehose_billed_bytes * byteScale) / GB, 'GB', 'firehoseIngestionGb', 1);
  line('Firehose', 'dynamic partitioning, data', deliveredGb, 'GB', 'firehoseDynamicPartitioningGb', 1);
  const objects = Math.max(HOURS_PER_MONTH * Math.ceil(3600 / config.rawBufferIntervalSeconds), (deliveredGb * 1024) / config.rawBufferSizeMb);
  line('Firehose', 'dynamic partitioning, objects', objects, 'objects', 'firehoseDynamicPartitioningObjects', 1000);
  const transformInvocations = Math.max(SECONDS_PER_MONTH / ASSUMPTIONS.transformIntervalSeconds, (deliveredGb * 1024) / ASSUMPTIONS.transformBufferMb);
  lambda('partitionRaw', transformInvocations, (deliveredGb * 1024 * usage.partition_billed_ms_per_mb) / 1000, config.partitionMemoryMb);

  // S3: what a month of events occupies (GZIP), for its first month, and Firehose's PUTs.
  line('S3', 'a month of raw events stored (GZIP)', (events * u.s3_stored_bytes * byteScale) / GB, 'GB-month', 's3StandardGbMonth', 1);
  line('S3', 'PUT requests (Firehose objects)', objects, 'requests', 's3PutRequests', 1000);

  // CloudWatch Logs: Lambda's platform lines and the HTTP API's access log; the functions log nothing per event at WARN.
  const invocations = requests + invocationsPerSecond * SECONDS_PER_MONTH + transformInvocations;
  if (config.platformLogs)
    line(
      'CloudWatch Logs',
      `Lambda START/END/REPORT (${ASSUMPTIONS.platformLogBytesPerInvocation} B per invocation)`,
      (invocations * ASSUMPTIONS.platformLogBytesPerInvocation) / GB,
      'GB',
      'cloudwatchLogsIngestGb',
      1,
    );
  if (config.accessLogs && config.collector === 'http-api')
    line(
      'CloudWatch Logs',
      `HTTP API access log (${ASSUMPTIONS.accessLogBytesPerRequest} B per request)`,
      (requests * ASSUMPTIONS.accessLogBytesPerRequest) / GB,
      'GB',
      'cloudwatchLogsIngestGb',
      1,
    );

  return { lines, total: lines.reduce((n, l) => n + l.usd, 0), events, requests };
}

/**
 * The real-time consumer for a month at a steady rate: Lambda polls each shard about once a second, so a busy shard
 * is an invocation a second (a batch) plus a final one per window; the final one writes four items. Its second
 * read of the stream is Kinesis data out (on-demand) or nothing extra (provisioned, shared throughput).
 */
export function realtimeCost(
  usage: MeasuredUsage,
  prices: Prices,
  scenario: { eventsPerSecond: number; shards: number; windowSeconds: number; memoryMb: number; kinesis: 'on-demand' | 'provisioned'; eventBytes?: number },
): Bill {
  const rt = usage.realtime;
  if (!rt) throw new Error('cost/usage.json has no real-time figures: run npm run cost -- --measure.');
  const events = scenario.eventsPerSecond * SECONDS_PER_MONTH;
  const windows = scenario.shards * (SECONDS_PER_MONTH / scenario.windowSeconds);
  const batches = scenario.shards * SECONDS_PER_MONTH * Math.min(1, scenario.eventsPerSecond / scenario.shards);
  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, name: string, scale = 1) =>
    lines.push(costLine(prices, service, item, quantity, unit, name, scale));
  add('Lambda (realtime)', 'requests (batches + a final per window and shard)', batches + windows, 'requests', 'lambdaRequests', 1e6);
  add(
    'Lambda (realtime)',
    `duration at ${scenario.memoryMb} MB`,
    ((events * rt.billed_ms_per_event + windows * rt.billed_ms_per_final) / 1000) * (scenario.memoryMb / 1024),
    'GB-s',
    'lambdaArmGbSecond',
  );
  add(
    'DynamoDB (real-time table)',
    `write request units (${rt.write_units_per_window.toFixed(1)} per window and shard)`,
    windows * rt.write_units_per_window,
    'WRU',
    'dynamodbWriteUnits',
    1e6,
  );
  if (scenario.kinesis === 'on-demand') {
    const kbUnits = events * usage.per_event.kinesis_kb_units * ((scenario.eventBytes ?? usage.run.event_bytes) / usage.run.event_bytes);
    add('Kinesis (on-demand)', 'data out to the real-time consumer', (kbUnits * 1024) / GB, 'GB', 'kinesisOnDemandDataOutGb');
  }
  return { lines, total: lines.reduce((n, l) => n + l.usd, 0), events, requests: 0 };
}

/**
 * One training run: the crawler, the Glue compaction and features jobs, the training — the Batch (Fargate) job of
 * the TypeScript trainer, or SageMaker's XGBoost on `sagemaker.instances` ml.m5.2xlarge — and the workflow's transitions.
 */
export interface TrainingRun {
  crawlerMinutes: number;
  crawlerDpus: number;
  glueWorkers: number;
  glueMinutes: number;
  fargateVcpus: number;
  fargateGb: number;
  fargateMinutes: number;
  stateTransitions: number;
  sagemaker?: { instances: number; billedMinutes: number };
}

export function trainingRunCost(prices: Prices, run: TrainingRun): Bill {
  const lines: CostLine[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, name: string, scale = 1) =>
    lines.push(costLine(prices, service, item, quantity, unit, name, scale));
  // Crawlers bill a 10-minute minimum; Glue jobs a 1-minute minimum.
  add('Glue', 'crawler', run.crawlerDpus * (Math.max(10, run.crawlerMinutes) / 60), 'DPU-hours', 'glueDpuHour');
  add('Glue', 'compaction job (G.1X = 1 DPU per worker)', run.glueWorkers * (Math.max(1, run.glueMinutes) / 60), 'DPU-hours', 'glueDpuHour');
  add('Glue', 'features job (G.1X = 1 DPU per worker)', run.glueWorkers * (Math.max(1, run.glueMinutes) / 60), 'DPU-hours', 'glueDpuHour');
  if (run.sagemaker)
    add(
      'SageMaker',
      `training job (${run.sagemaker.instances} × ml.m5.2xlarge)`,
      run.sagemaker.instances * (run.sagemaker.billedMinutes / 60),
      'instance-hours',
      'sagemakerTrainingMlM52xlargeHour',
    );
  else {
    add('Batch (Fargate)', 'training job vCPU', run.fargateVcpus * (run.fargateMinutes / 60), 'vCPU-hours', 'fargateVcpuHour');
    add('Batch (Fargate)', 'training job memory', run.fargateGb * (run.fargateMinutes / 60), 'GB-hours', 'fargateGbHour');
  }
  add('Step Functions', 'state transitions', run.stateTransitions, 'transitions', 'stepFunctionsTransitions', 1000);
  return { lines, total: lines.reduce((n, l) => n + l.usd, 0), events: 0, requests: 1 };
}

/** A million POST /predict requests (one session each), in Lambda: HTTP API, the function; the registry reads are cached. */
export function predictionsCost(usage: MeasuredUsage, prices: Prices, memoryMb: number, collector: 'http-api' | 'function-url' = 'http-api'): Bill {
  const n = 1e6;
  const lines: CostLine[] = [];
  if (collector === 'http-api') lines.push(costLine(prices, 'API Gateway HTTP API', 'POST /predict', n, 'requests', 'httpApiRequests', 1e6));
  lines.push(costLine(prices, 'Lambda (predict)', 'requests', n, 'requests', 'lambdaRequests', 1e6));
  lines.push(
    costLine(prices, 'Lambda (predict)', `duration at ${memoryMb} MB`, (n * usage.predict_billed_ms * memoryMb) / 1024 / 1000, 'GB-s', 'lambdaArmGbSecond'),
  );
  const capture = usage.prediction_capture;
  if (capture) {
    lines.push(
      costLine(prices, 'Firehose (predictions)', 'ingestion (5 KB rounding per record)', (n * capture.billed_bytes) / GB, 'GB', 'firehoseIngestionGb', 1),
    );
    lines.push(costLine(prices, 'S3', 'captured predictions stored a month (GZIP)', (n * capture.stored_bytes) / GB, 'GB-month', 's3StandardGbMonth', 1));
  }
  return { lines, total: lines.reduce((s, l) => s + l.usd, 0), events: 0, requests: n };
}

export interface Comparison {
  rps: number;
  ours: number;
  theirsCheapest: number;
  theirsStreamHourly: number;
  ratio: number;
  target: number;
  met: boolean;
}

interface TheirFigures {
  monthly: Record<string, { ingestion: Record<string, number>; processing: Record<string, number> }>;
}

/** Their request → processed-data-in-S3 totals: the cheapest ingestion + processing, and a stream with hourly processing. */
export function theirTotals(theirs: TheirFigures, rps: number): { cheapest: number; streamHourly: number } {
  const figures = theirs.monthly[String(rps)];
  if (!figures) throw new Error(`No published figures at ${rps} RPS.`);
  const min = (values: Record<string, number>) => Math.min(...Object.values(values));
  return {
    cheapest: min(figures.ingestion) + min(figures.processing),
    streamHourly: Math.min(figures.ingestion.kinesisOnDemand!, figures.ingestion.kinesisProvisioned!) + figures.processing.hourly!,
  };
}

/** The target: at most half their cheapest at 10 RPS, at most equal at 100 and 1000 RPS. */
export const targetRatio = (rps: number) => (rps <= 10 ? 0.5 : 1);

export function compare(theirs: TheirFigures, rps: number, ours: number): Comparison {
  const { cheapest, streamHourly } = theirTotals(theirs, rps);
  const target = targetRatio(rps);
  return { rps, ours, theirsCheapest: cheapest, theirsStreamHourly: streamHourly, ratio: ours / cheapest, target, met: ours / cheapest <= target };
}
