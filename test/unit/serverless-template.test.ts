import { glueScripts } from '../../glue/scripts';
import { packagedTemplate, type PackagedTemplate } from '../helpers/template';
import { placeholders, readDefinition } from '../helpers/state-machines';

/** `sls package --stage dev` works offline (no credentials) and the template says what the README promises. */
describe('serverless.yml, packaged for dev', () => {
  let template: PackagedTemplate;
  let resources: Record<string, { Type: string; Properties: any }>;

  // Packaging takes seconds: once, when the tests run (not while Jest collects them).
  beforeAll(() => {
    template = packagedTemplate();
    resources = template.Resources;
  }, 120_000);

  it('declares the ingestion resources and outputs', () => {
    expect(resources.ClickstreamStream!.Properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    const raw = resources.RawDeliveryStream!.Properties.ExtendedS3DestinationConfiguration;
    // ingest puts gzip members that name their partition; the transform hands it to Firehose (src/domain/raw-records.ts).
    expect(raw).toMatchObject({
      CompressionFormat: 'UNCOMPRESSED',
      FileExtension: '.gz',
      DynamicPartitioningConfiguration: { Enabled: true },
      Prefix: 'raw/clickstream/dt=!{partitionKeyFromLambda:dt}/hour=!{partitionKeyFromLambda:hour}/',
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: expect.arrayContaining([{ ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': ['PartitionRawLambdaFunction', 'Arn'] } }]),
          },
        ],
      },
    });
    expect(resources.BadDeliveryStream!.Properties.ExtendedS3DestinationConfiguration.Prefix).toMatch(/^bad\//);
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['ClickstreamStreamName', 'RawDeliveryStreamName', 'BadDeliveryStreamName', 'LakeBucketName', 'HttpApiUrl']),
    );
  });

  it('locks the lake bucket down', () => {
    const bucket = resources.LakeBucket!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.VersioningConfiguration.Status).toBe('Enabled');
    expect(bucket.LifecycleConfiguration.Rules[0].Transitions).toEqual([
      { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
    ]);
    // Bad rows and Firehose's error output expire (stage params); raw/ is kept.
    expect(
      bucket.LifecycleConfiguration.Rules.filter((r: { ExpirationInDays?: number }) => r.ExpirationInDays).map(
        (r: { Prefix: string; ExpirationInDays: number }) => [r.Prefix, r.ExpirationInDays],
      ),
    ).toEqual([
      ['bad/', 90],
      ['errors/', 30],
      ['predictions/', 90],
      ['athena-results/', 7],
      ['training/', 14],
      ['erasure/manifests/', 7],
    ]);
    expect(bucket.LifecycleConfiguration.Rules.find((r: { Id: string }) => r.Id === 'expire-noncurrent-versions').NoncurrentVersionExpiration).toEqual({
      NoncurrentDays: 30,
    });
    expect(resources.LakeBucketPolicy!.Properties.PolicyDocument.Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('configures the ingest mapping with partial batch responses, bisect, bounded retries and a destination', () => {
    const mapping = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventSourceMapping')!.Properties;
    expect(mapping).toMatchObject({
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: expect.anything() } },
    });
  });

  it('deploys statemachines/training.asl.yaml as written, with a substitution for each placeholder', () => {
    const machine = resources.TrainingStateMachine!.Properties;
    expect(JSON.parse(machine.DefinitionString)).toEqual(readDefinition('training'));
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(placeholders('training'));
    expect(machine.RoleArn).toEqual({ 'Fn::GetAtt': ['TrainingStateMachineRole', 'Arn'] });
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].Arn.Ref === 'TrainingStateMachine')!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', State: 'DISABLED' });
  });

  it('trains on SageMaker with an execution role confined to the runs’ prefix, which only the training workflow may pass', () => {
    const statements = (id: string) => resources[id]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement);
    const role = resources.SageMakerTrainingRole!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
    const lake = statements('SageMakerTrainingRole').filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(lake.map((st: any) => [st.Action, st.Resource])).toEqual([
      [['s3:ListBucket'], { 'Fn::GetAtt': ['LakeBucket', 'Arn'] }],
      [['s3:GetObject'], { 'Fn::Sub': '${LakeBucket.Arn}/training/purchase-propensity/*/channels/*' }],
      [['s3:PutObject'], { 'Fn::Sub': '${LakeBucket.Arn}/training/purchase-propensity/*/sagemaker/*' }],
    ]);
    expect(lake[0].Condition).toEqual({ StringLike: { 's3:prefix': ['training/purchase-propensity/*'] } });
    const machine = statements('TrainingStateMachineRole');
    expect(machine).toContainEqual({
      Effect: 'Allow',
      Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/xgb-*' },
    });
    expect(machine).toContainEqual({
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: { 'Fn::GetAtt': ['SageMakerTrainingRole', 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    // No other role may pass it.
    for (const [id, resource] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role' && r !== resources.TrainingStateMachineRole))
      for (const policy of resource.Properties.Policies ?? [])
        for (const statement of policy.PolicyDocument.Statement) expect(`${id}: ${[statement.Action].flat().join()}`).not.toMatch(/iam:PassRole/);
    const substitutions = resources.TrainingStateMachine!.Properties.DefinitionSubstitutions;
    expect(substitutions).toMatchObject({
      SageMakerRoleArn: { 'Fn::GetAtt': ['SageMakerTrainingRole', 'Arn'] },
      XgboostImage: expect.stringMatching(/sagemaker-xgboost:1\.7-1$/),
    });
    expect(resources.PlanTrainingLambdaFunction!.Properties.Environment.Variables).toMatchObject({
      SAGEMAKER_MIN_ROWS: '2000000',
      SAGEMAKER_INSTANCE_TYPE: 'ml.m5.2xlarge',
      SAGEMAKER_INSTANCE_COUNT: '2',
    });
  });

  it('deploys statemachines/erasure.asl.yaml as written; only its functions may rewrite and delete lake objects', () => {
    const machine = resources.ErasureStateMachine!.Properties;
    expect(JSON.parse(machine.DefinitionString)).toEqual(readDefinition('erasure'));
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(placeholders('erasure'));
    expect(machine.RoleArn).toEqual({ 'Fn::GetAtt': ['ErasureStateMachineRole', 'Arn'] });
    for (const fn of ['PlanErasureLambdaFunction', 'EraseObjectsLambdaFunction', 'FinishErasureLambdaFunction'])
      expect(resources[fn]!.Properties.Role).toEqual({ 'Fn::GetAtt': ['ErasureRole', 'Arn'] });
    const deleters = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties.Policies ?? []).includes('s3:DeleteObjectVersion'))
      .map(([id]) => id);
    expect(deleters).toEqual(['ErasureRole']);
    // Every zone it rewrites or deletes in: the event zones, the captured predictions, the derived zones (training channels too).
    const statements = resources.ErasureRole!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown }[];
    expect(statements.find((st) => st.Action.includes('s3:DeleteObjectVersion'))!.Resource).toEqual(
      ['raw', 'bad', 'errors', 'curated', 'features', 'training/purchase-propensity', 'predictions'].map((zone) => ({
        'Fn::Sub': `\${LakeBucket.Arn}/${zone}/*`,
      })),
    );
  });

  it('deploys the monitoring and canary state machines as written (monitoring on a schedule); predictions go to their own delivery stream', () => {
    for (const [id, name] of [
      ['MonitoringStateMachine', 'monitoring'],
      ['CanaryStateMachine', 'canary'],
    ] as const) {
      const machine = resources[id]!.Properties;
      expect(JSON.parse(machine.DefinitionString)).toEqual(readDefinition(name));
      expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(placeholders(name));
      expect(machine.RoleArn).toEqual({ 'Fn::GetAtt': ['MonitoringStateMachineRole', 'Arn'] });
    }
    const schedule = Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets[0].Arn.Ref === 'MonitoringStateMachine')!;
    expect(schedule.Properties).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    const stream = resources.PredictionsDeliveryStream!.Properties.ExtendedS3DestinationConfiguration;
    expect(stream).toMatchObject({ Prefix: 'predictions/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/', CompressionFormat: 'GZIP' });
    expect(resources.PredictLambdaFunction!.Properties.Environment.Variables).toMatchObject({ PREDICTION_CAPTURE_RATE: '1' });
    // predict may put records on that stream and nothing else of the kind; the monitor reads predictions/ and raw/ only.
    const serving = JSON.stringify(resources.ServingRole!.Properties.Policies);
    expect(serving).toContain('firehose:PutRecordBatch');
    expect(serving).toContain('PredictionsDeliveryStream');
    const monitoring = resources.MonitoringRole!.Properties.Policies[0].PolicyDocument.Statement as { Action: string[]; Resource: unknown }[];
    expect(monitoring.find((st) => st.Action.includes('s3:GetObject'))!.Resource).toEqual([
      { 'Fn::Sub': '${LakeBucket.Arn}/predictions/*' },
      { 'Fn::Sub': '${LakeBucket.Arn}/raw/clickstream/*' },
    ]);
    expect(resources.ModelsTable!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
  });

  it('drops events without consent at the collector; consent is required of events only when the stage says so', () => {
    expect(resources.CollectLambdaFunction!.Properties.Environment.Variables).toMatchObject({ REQUIRE_CONSENT: 'false' });
  });

  it('deploys statemachines/replay.asl.yaml as written, with a substitution for each placeholder', () => {
    const machine = resources.ReplayStateMachine!.Properties;
    expect(JSON.parse(machine.DefinitionString)).toEqual(readDefinition('replay'));
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(placeholders('replay'));
  });

  it('points the Glue job at the scripts deployment uploads, and the Batch job at its image and parameters', () => {
    const job = resources.FeaturesJob!.Properties;
    const keys = glueScripts().map((s) => s.key);
    const uri = (key: string) => ({ 'Fn::Sub': `s3://\${LakeBucket}/${key}` });
    const files = (...names: string[]) => ({ 'Fn::Sub': names.map((n) => `s3://\${LakeBucket}/glue/scripts/${n}`).join(',') });
    // Every file a job names is one deployment uploads (glue/scripts.ts).
    for (const name of ['build_features.py', 'features.spark.sql', 'channels.spark.sql', 'build_curated.py', 'curated.spark.sql', 'raw-schema.spark.ddl'])
      expect(keys).toContain(`glue/scripts/${name}`);
    expect(job.Command).toMatchObject({ Name: 'glueetl', ScriptLocation: uri('glue/scripts/build_features.py') });
    expect(job.DefaultArguments['--extra-files']).toEqual(files('features.spark.sql', 'channels.spark.sql'));
    const curated = resources.CuratedJob!.Properties;
    expect(curated.Command).toMatchObject({ Name: 'glueetl', ScriptLocation: uri('glue/scripts/build_curated.py') });
    expect(curated.DefaultArguments['--extra-files']).toEqual(files('curated.spark.sql', 'raw-schema.spark.ddl'));
    expect(job.SecurityConfiguration).toEqual({ Ref: 'GlueSecurityConfiguration' });
    expect(resources.RawCrawler!.Properties.Targets.S3Targets[0].Path).toEqual({ 'Fn::Sub': 's3://${LakeBucket}/raw/clickstream/' });
    const definition = resources.TrainingJobDefinition!.Properties;
    expect(definition.PlatformCapabilities).toEqual(['FARGATE']);
    expect(definition.ContainerProperties.Command).toEqual([
      'node',
      'batch/train.js',
      '--from',
      'Ref::from',
      '--to',
      'Ref::to',
      '--version',
      'Ref::version',
      '--json',
    ]);
    expect(resources.TrainingComputeEnvironment!.Properties.ComputeResources.Type).toBe('FARGATE');
  });

  it('puts the registry (reads and writes) and, outside the local stage, POST /predict behind API-key authorizers', () => {
    const routes = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties);
    const authorized = routes
      .filter((r) => r.AuthorizationType === 'CUSTOM')
      .map((r) => r.RouteKey)
      .sort();
    expect(authorized).toEqual([
      'GET /models',
      'GET /models/{name}',
      'GET /models/{name}/history',
      'GET /models/{name}/versions/{version}',
      'GET /realtime',
      'POST /models/{name}/aliases/{alias}',
      'POST /models/{name}/rollback',
      'POST /predict',
    ]);
    // The storefront's "N people are looking at this" is public: one product's count, cached, throttled on its own.
    expect(
      routes
        .filter((r) => r.AuthorizationType !== 'CUSTOM')
        .map((r) => r.RouteKey)
        .sort(),
    ).toEqual(['GET /realtime/products/{id}', 'POST /events']);
    for (const authorizer of Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer')) {
      expect(authorizer.Properties).toMatchObject({
        AuthorizerType: 'REQUEST',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
      });
    }
  });

  // Actions IAM has no resource-level permissions for: Step Functions' .sync Batch integration needs DescribeJobs,
  // a SageMaker endpoint needs the ECR login.
  // Actions IAM cannot scope to a resource (PutMetricData is scoped by its namespace condition instead).
  const NO_RESOURCE_LEVEL = new Set(['batch:DescribeJobs', 'ecr:GetAuthorizationToken', 'cloudwatch:PutMetricData']);

  it('grants no wildcard actions or resources to any role', () => {
    for (const [id, resource] of Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Role')) {
      for (const policy of resource.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          for (const action of [statement.Action].flat()) expect(`${id}: ${action}`).not.toMatch(/\*/);
          const actions = [statement.Action].flat();
          if (actions.every((a: string) => NO_RESOURCE_LEVEL.has(a))) continue;
          for (const res of [statement.Resource].flat())
            expect(`${id}: ${actions.join()} on ${typeof res === 'string' ? res : 'an ARN'}`).not.toMatch(/ on \*$/);
        }
      }
    }
  });

  it('sets no local-only environment outside the local stage', () => {
    for (const fn of Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toEqual(expect.arrayContaining(['AWS_ENDPOINT_URL']));
    }
  });

  it("throttles the HTTP API per stage and route, caps the public functions' concurrency, and writes JSON access logs", () => {
    const stage = resources.HttpApiStage!.Properties;
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 });
    expect(stage.RouteSettings['POST /events']).toEqual({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000, DetailedMetricsEnabled: true });
    expect(stage.RouteSettings['POST /predict']).toEqual({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000, DetailedMetricsEnabled: true });
    for (const route of ['GET /models', 'GET /models/{name}', 'POST /models/{name}/rollback'])
      expect(stage.RouteSettings[route]).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      routeKey: '$context.routeKey',
    });
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(resources.HttpApiLogGroup!.Properties.RetentionInDays).toBe(30);
    const reserved = Object.fromEntries(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.ReservedConcurrentExecutions !== undefined)
        .map(([id, r]) => [id, r.Properties.ReservedConcurrentExecutions]),
    );
    expect(reserved).toEqual({
      CollectLambdaFunction: 100,
      PredictLambdaFunction: 50,
      ModelsLambdaFunction: 5,
      AdminLambdaFunction: 5,
      AuthorizeAdminLambdaFunction: 20,
      AuthorizePredictLambdaFunction: 20,
      AuthorizeReadLambdaFunction: 20,
      RealtimeQueryLambdaFunction: 10,
    });
    expect(stage.RouteSettings['GET /realtime/products/{id}']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(stage.RouteSettings['GET /realtime']).toEqual({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 });
  });

  it('runs real-time analytics on its own tumbling-window mapping, into a table whose items expire', () => {
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping');
    const realtime = mappings.find((m) => JSON.stringify(m.Properties.FunctionName).includes('RealtimeLambdaFunction'))!.Properties;
    expect(realtime).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['ClickstreamStream', 'Arn'] },
      TumblingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'LATEST',
      MaximumRecordAgeInSeconds: 3600,
    });
    // Ingest's mapping is untouched: no window of its own.
    const ingest = mappings.find((m) => JSON.stringify(m.Properties.FunctionName).includes('IngestLambdaFunction'))!.Properties;
    expect(ingest.TumblingWindowInSeconds).toBeUndefined();
    expect(resources.RealtimeTable!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'family', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
    expect(resources.RealtimeLambdaFunction!.Properties.Environment.Variables).toMatchObject({ REALTIME_RETENTION_HOURS: '48', REALTIME_WINDOW_SECONDS: '60' });
    const actions = (role: string) =>
      resources[role]!.Properties.Policies.flatMap((p: any) => p.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat())).filter((a: string) =>
        a.startsWith('dynamodb:'),
      );
    expect([actions('RealtimeRole'), actions('RealtimeQueryRole')]).toEqual([['dynamodb:BatchWriteItem'], ['dynamodb:Query']]);
    expect(Object.keys(template.Outputs)).toEqual(expect.arrayContaining(['RealtimeTableName', 'RealtimeWindowSeconds']));
  });

  it('partitions raw/ through the transform (which Firehose may invoke, and nothing else) and alarms when Firehose runs out of active partitions', () => {
    expect(resources.PartitionRawLambdaFunction!.Properties).toMatchObject({ Handler: 'functions/partition-raw/handler.handler', Timeout: 60 });
    const firehoseCan = resources.FirehoseDeliveryRole!.Properties.Policies[0].PolicyDocument.Statement;
    expect(firehoseCan).toContainEqual({
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      Resource: { 'Fn::GetAtt': ['PartitionRawLambdaFunction', 'Arn'] },
    });
    const transformCan = resources.PartitionRawRole!.Properties.Policies[0].PolicyDocument.Statement;
    expect(transformCan.flatMap((s: { Action: string[] }) => s.Action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(resources.RawPartitionCountExceededAlarm!.Properties).toMatchObject({
      Namespace: 'AWS/Firehose',
      MetricName: 'PartitionCountExceeded',
      Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: 'RawDeliveryStream' } }],
      Threshold: 0,
    });
  });

  it('anonymizes IPs and pseudonymizes ids by default, with a generated key only the collector, ingest and the real-time consumer may read', () => {
    expect(resources.PseudonymizationSecret!.Properties).toMatchObject({
      Name: 'clickstream-ml-dev-pseudonymization-key',
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    for (const fn of ['CollectLambdaFunction', 'IngestLambdaFunction', 'RealtimeLambdaFunction'])
      expect(resources[fn]!.Properties.Environment.Variables).toMatchObject({
        IPV4_KEEP_OCTETS: '3',
        IPV6_KEEP_GROUPS: '3',
        PSEUDONYMIZE_FIELDS: 'user_id,anonymous_id',
        PSEUDONYMIZATION_SECRET_ID: 'clickstream-ml-dev-pseudonymization-key',
      });
    const readers = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .filter(([, r]) => JSON.stringify(r.Properties.Policies ?? []).includes('secretsmanager:GetSecretValue'))
      .map(([id]) => id)
      .sort();
    expect(readers).toEqual(['CollectRole', 'IngestRole', 'RealtimeRole']);
    // The access log keeps no client IP.
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage')!;
    expect(stage.Properties.AccessLogSettings.Format).not.toMatch(/sourceIp/);
  });

  it('keeps the API key hashes in SSM parameters the authorizers read (revocation without a redeploy)', () => {
    for (const [id, which] of [
      ['AdminKeyHashesParameter', 'admin'],
      ['PredictKeyHashesParameter', 'predict'],
      ['ReadKeyHashesParameter', 'read'],
    ] as const) {
      expect(resources[id]!.Properties).toMatchObject({ Type: 'String', Name: `/clickstream-ml/dev/api-keys/${which}`, Value: 'none' });
    }
    const env = (fn: string) => resources[fn]!.Properties.Environment.Variables;
    expect(env('AuthorizeReadLambdaFunction')).toMatchObject({
      API_KEY_PARAMETERS: '/clickstream-ml/dev/api-keys/read,/clickstream-ml/dev/api-keys/admin',
      KEY_CACHE_SECONDS: '30',
    });
    expect(env('AuthorizeAdminLambdaFunction')).toMatchObject({ API_KEY_PARAMETERS: '/clickstream-ml/dev/api-keys/admin' });
    const statements = resources.AuthorizerRole!.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Action: ['ssm:GetParameters'] }));
  });

  it('makes the cost levers stage params: Kinesis capacity mode, and Lambda system logs in JSON', () => {
    expect(resources.ClickstreamStream!.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(resources.ClickstreamStream!.Properties.ShardCount).toBeUndefined();
    expect(resources.CollectLambdaFunction!.Properties.LoggingConfig).toEqual({ LogFormat: 'JSON', SystemLogLevel: 'INFO' });
  });

  it('puts POST /events on a function URL only when the stage asks (collectFunctionUrl), public, with the same CORS origins', () => {
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Url')).toEqual([]);
    const withUrl = packagedTemplate(['collectFunctionUrl=true', 'corsAllowedOrigins=https://shop.example.com']);
    expect(withUrl.Resources.CollectLambdaFunctionUrl!.Properties).toEqual({
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': ['CollectLambdaFunction', 'Arn'] },
      Cors: { AllowHeaders: ['Content-Type'], AllowMethods: ['POST'], AllowOrigins: ['https://shop.example.com'], MaxAge: 600 },
    });
    // The HTTP API route stays: the URL is a second, cheaper front for high-volume trackers.
    expect(withUrl.Resources.HttpApiRoutePostEvents).toBeDefined();
    expect(withUrl.Outputs.CollectLambdaFunctionUrl).toBeDefined();
  }, 120_000);

  it('answers CORS for no browser origin unless the stage names some, and never with credentials', () => {
    expect(resources.HttpApi!.Properties.CorsConfiguration).toEqual({
      AllowOrigins: [],
      AllowHeaders: ['Content-Type', 'Authorization'],
      AllowMethods: ['GET', 'POST', 'OPTIONS'],
      MaxAge: 600,
    });
  });
});
