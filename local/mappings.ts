import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { KinesisEventSourceMapping, type Invoke, type MappingSpec } from './event-source-mapping';
import { crashedInvocation, type FaultInjector } from './faults';
import type { Closable } from './net';
import type { LocalSqs } from './sqs';
import type { IntrinsicResolver, Template } from './template';

export interface MappingsOptions {
  region: string;
  edgeUrl: string;
  /** Where each mapping's position per shard is kept, so a restart resumes where it stopped. */
  checkpointFile: string;
  invoke: Invoke;
  faults: FaultInjector;
  sqs: LocalSqs;
  log: (line: string) => void;
}

/** The template's Kinesis event-source mappings, each polling its stream and invoking its function as Lambda's would. */
export function startMappings(template: Template, resolver: IntrinsicResolver, options: MappingsOptions): { mappings: KinesisEventSourceMapping[] } & Closable {
  const kinesis = new KinesisClient({
    region: options.region,
    endpoint: options.edgeUrl,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  const { checkpointFile, faults, invoke } = options;
  const checkpoints: Record<string, string> = existsSync(checkpointFile) ? JSON.parse(readFileSync(checkpointFile, 'utf8')) : {};
  const mappings: KinesisEventSourceMapping[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = resolver.resolve(resource.Properties) as Record<string, any>;
    const functionName = String(p.FunctionName).split(':').pop()!;
    const spec: MappingSpec = {
      functionName,
      streamArn: p.EventSourceArn,
      batchSize: p.BatchSize ?? 100,
      batchWindowSeconds: p.MaximumBatchingWindowInSeconds ?? 0,
      startingPosition: p.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON',
      bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
      maximumRetryAttempts: p.MaximumRetryAttempts ?? -1,
      maximumRecordAgeSeconds: p.MaximumRecordAgeInSeconds ?? -1,
      reportBatchItemFailures: (p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      tumblingWindowSeconds: p.TumblingWindowInSeconds ?? 0,
    };
    const destination: string | undefined = p.DestinationConfig?.OnFailure?.Destination;
    const mapping = new KinesisEventSourceMapping(spec, {
      kinesis,
      region: options.region,
      invoke: (name, event) => {
        const crash = faults.takeCrash(name);
        return crash ? crashedInvocation(faults, invoke, name, event, crash) : invoke(name, event);
      },
      ...(destination ? { onFailure: async (record: unknown) => void options.sqs.send(destination.split(':').pop()!, JSON.stringify(record)) } : {}),
      checkpoint: {
        get: (shard) => checkpoints[`${id}/${shard}`],
        set: (shard, sequence) => {
          checkpoints[`${id}/${shard}`] = sequence;
          writeFileSync(checkpointFile, JSON.stringify(checkpoints));
        },
      },
      log: (message, detail) => options.log(`[${functionName} ← kinesis] ${message} ${detail ? JSON.stringify(detail) : ''}`),
    });
    mappings.push(mapping);
    void mapping.start();
  }
  return {
    mappings,
    close: async () => {
      await Promise.all(mappings.map((m) => m.stop()));
      kinesis.destroy();
    },
  };
}
