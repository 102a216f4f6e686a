import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { viewSql, VIEW_NAMES } from '../../queries/views';
import { FEATURE_NAMES } from '#domain/features/spec';
import { CURATED_COLUMNS } from '#domain/features/sql';
import { packagedTemplate, type PackagedTemplate } from '../helpers/template';

const root = path.resolve(__dirname, '..', '..');

/** Every metric name the functions publish (EMF, Powertools): `addMetric('Name'` and `countNow('Name'`. */
function publishedMetrics(): Set<string> {
  const names = new Set<string>();
  for (const dir of ['functions', 'src/shared']) {
    for (const file of readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(path.join(root, dir, file), 'utf8').matchAll(/(?:addMetric|countNow|gaugeNow)\('(\w+)'/g)) names.add(m[1]!);
    }
  }
  return names;
}

/** The alarms README "Operating it" explains, one runbook line each. */
const ALARMS = [
  'IngestIteratorAgeAlarm',
  'IngestFailureQueueAlarm',
  'IngestErrorsAlarm',
  'IngestThrottlesAlarm',
  'BadRowRateAlarm',
  'RawDeliveryFreshnessAlarm',
  'BadDeliveryFreshnessAlarm',
  'RawDeliveryFailedAlarm',
  'BadDeliveryFailedAlarm',
  'RawPartitionCountExceededAlarm',
  'DataFreshnessAlarm',
  'CollectorServerErrorRateAlarm',
  'CollectorClientErrorRateAlarm',
  'PredictLatencyAlarm',
  'PredictServerErrorsAlarm',
  'ModelAucDropAlarm',
  'ModelCalibrationAlarm',
  'ModelDriftAlarm',
  'PredictionCaptureFailuresAlarm',
  'RealtimeIteratorAgeAlarm',
];

/** The model alarms watch one model's production route: the monitor publishes their metrics with these dimensions. */
const MODEL_DIMENSIONS = [
  { Name: 'service', Value: 'clickstream-ml' },
  { Name: 'model', Value: 'purchase-propensity' },
  { Name: 'alias', Value: 'production' },
  { Name: 'route', Value: 'production' },
];

/** The resource type a dimension must name. */
const DIMENSION_TYPES: Record<string, string> = {
  FunctionName: 'AWS::Lambda::Function',
  QueueName: 'AWS::SQS::Queue',
  DeliveryStreamName: 'AWS::KinesisFirehose::DeliveryStream',
  ApiId: 'AWS::ApiGatewayV2::Api',
  StreamName: 'AWS::Kinesis::Stream',
};

type Metric = { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
const metricsOf = (alarm: any): Metric[] =>
  alarm.Metrics
    ? alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric)
    : [{ Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions }];
const referenced = (value: any): string | undefined => value?.Ref ?? value?.['Fn::GetAtt']?.[0];

describe('operations in the packaged template (sls package --stage dev)', () => {
  let template: PackagedTemplate;
  let resources: PackagedTemplate['Resources'];
  beforeAll(() => {
    template = packagedTemplate();
    resources = template.Resources;
  }, 120_000);

  it('sends every alarm, and training failures, to one SNS topic, which the stage param alarmEmail subscribes to', () => {
    expect(resources.AlarmTopic!.Type).toBe('AWS::SNS::Topic');
    expect(resources.AlarmEmailSubscription).toMatchObject({ Condition: 'HasAlarmEmail', Properties: { Protocol: 'email', TopicArn: { Ref: 'AlarmTopic' } } });
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id).sort()).toEqual([...ALARMS].sort());
    for (const [id, alarm] of alarms) expect([id, alarm.Properties.AlarmActions]).toEqual([id, [{ Ref: 'AlarmTopic' }]]);
    const rule = resources.TrainingFailedRule!.Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: 'TrainingStateMachine' }] },
    });
    expect(rule.Targets).toEqual([{ Id: 'alarm-topic', Arn: { Ref: 'AlarmTopic' } }]);
    expect(resources.AlarmTopicPolicy!.Properties.PolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
  });

  it('names, in each alarm, a metric that exists: a resource of the stack, a route of the API, or a metric the functions publish', () => {
    const published = publishedMetrics();
    const routes = new Set(
      Object.values(resources)
        .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
        .map((r) => r.Properties.RouteKey),
    );
    for (const id of ALARMS) {
      for (const metric of metricsOf(resources[id]!.Properties)) {
        if (metric.Namespace === 'ClickstreamMl') {
          expect([id, metric.MetricName, published.has(metric.MetricName)]).toEqual([id, metric.MetricName, true]);
          expect([id, metric.Dimensions]).toEqual([id, id.startsWith('Model') ? MODEL_DIMENSIONS : [{ Name: 'service', Value: 'clickstream-ml' }]]);
          continue;
        }
        for (const { Name, Value } of metric.Dimensions ?? []) {
          if (Name === 'Route') expect([id, routes.has(Value)]).toEqual([id, true]);
          else if (Name === 'Stage') expect(Value).toBe('$default');
          else expect([id, Name, resources[referenced(Value)!]?.Type]).toEqual([id, Name, DIMENSION_TYPES[Name]]);
        }
      }
    }
    // Route metrics exist only where detailed metrics are on.
    const settings = resources.HttpApiStage!.Properties.RouteSettings;
    for (const route of ['POST /events', 'POST /predict']) expect(settings[route].DetailedMetricsEnabled).toBe(true);
  });

  it('has one dashboard, the pipeline left to right, whose every name is a resource of the stack and which shows every alarm', () => {
    const body = resources.Dashboard!.Properties.DashboardBody['Fn::Sub'] as string;
    for (const [, name] of body.matchAll(/\$\{([A-Za-z]+)(?:\.[A-Za-z]+)?\}/g)) expect([name, resources[name!] !== undefined]).toEqual([name, true]);
    const dashboard = JSON.parse(body) as { widgets: { type: string; properties: { title: string; alarms?: string[] } }[] };
    expect(dashboard.widgets[0]!.properties.alarms).toEqual(ALARMS.map((id) => `\${${id}.Arn}`));
    const steps = dashboard.widgets.slice(1).map((w) => Number(/^(\d)/.exec(w.properties.title)?.[1]));
    expect(steps).toEqual([...steps].sort());
    expect(new Set(steps)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
  });

  it('traces every function, its SDK calls and the state machines with X-Ray (stage param tracing)', () => {
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    for (const [id, fn] of functions) {
      expect([id, fn.Properties.TracingConfig]).toEqual([id, { Mode: 'Active' }]);
      expect([id, fn.Properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED]).toEqual([id, 'true']);
      const role = resources[referenced(fn.Properties.Role)!]!;
      expect([id, JSON.stringify(role.Properties.ManagedPolicyArns ?? [])]).toEqual([id, expect.stringContaining('AWSXRayDaemonWriteAccess')]);
    }
    for (const id of ['TrainingStateMachine', 'ReplayStateMachine', 'ErasureStateMachine'])
      expect([id, resources[id]!.Properties.TracingConfiguration]).toEqual([id, { Enabled: true }]);
  });

  it('queries the lake with Athena: a workgroup with encrypted results and a scan limit, tables for the curated zone, bad rows and features, the views as named queries', () => {
    expect(resources.AthenaWorkGroup!.Properties.WorkGroupConfiguration).toEqual({
      EnforceWorkGroupConfiguration: true,
      PublishCloudWatchMetricsEnabled: true,
      BytesScannedCutoffPerQuery: 10737418240,
      ResultConfiguration: { OutputLocation: { 'Fn::Sub': 's3://${LakeBucket}/athena-results/' }, EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    const table = (id: string) => resources[id]!.Properties.TableInput;
    expect(table('BadRowsTable')).toMatchObject({ Name: 'bad_clickstream', PartitionKeys: [{ Name: 'dt' }, { Name: 'hour' }] });
    expect(table('CuratedTable').StorageDescriptor.Columns).toEqual(CURATED_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
    expect(table('FeaturesTable').StorageDescriptor.Columns.map((c: { Name: string }) => c.Name)).toEqual(['session_id', ...FEATURE_NAMES, 'label']);
    const named = Object.values(resources).filter((r) => r.Type === 'AWS::Athena::NamedQuery');
    expect(named.map((q) => q.Properties.Name).sort()).toEqual(VIEW_NAMES());
    // The same files npm run query runs, rendered for Athena (the crawled raw table, Trino's functions).
    for (const query of named) expect(query.Properties.QueryString).toBe(viewSql(query.Properties.Name, 'athena'));
    expect(viewSql('funnel', 'athena')).toContain('FROM raw_clickstream');
  });
});
