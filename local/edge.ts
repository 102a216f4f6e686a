import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { readBody, sendJson } from './aws-json';
import { InjectedFault, type FaultInjector } from './faults';
import type { UsageMeter } from './usage';

/** The API operation: X-Amz-Target's, else (REST-style S3, Batch, SageMaker runtime) the HTTP method. */
const operationOf = (req: IncomingMessage): string =>
  String(req.headers['x-amz-target'] ?? '')
    .split('.')
    .pop() ||
  (req.method ?? 'GET');

export type ServiceName =
  'kinesis' | 'dynamodb' | 'firehose' | 'sqs' | 's3' | 'glue' | 'batch' | 'states' | 'sagemaker' | 'ssm' | 'secretsmanager' | 'cloudformation' | 'local';

const TARGET_PREFIXES: [string, ServiceName][] = [
  ['Kinesis_20131202.', 'kinesis'],
  ['DynamoDB_20120810.', 'dynamodb'],
  ['Firehose_20150804.', 'firehose'],
  ['AmazonSQS.', 'sqs'],
  ['AWSGlue.', 'glue'],
  ['AWSStepFunctions.', 'states'],
  ['SageMaker.', 'sagemaker'],
  ['AmazonSSM.', 'ssm'],
  ['secretsmanager.', 'secretsmanager'],
];

const SCOPE_SERVICES: Record<string, ServiceName> = {
  kinesis: 'kinesis',
  dynamodb: 'dynamodb',
  firehose: 'firehose',
  sqs: 'sqs',
  s3: 's3',
  glue: 'glue',
  batch: 'batch',
  states: 'states',
  sagemaker: 'sagemaker',
  ssm: 'ssm',
  secretsmanager: 'secretsmanager',
  cloudformation: 'cloudformation',
};

/** Which service a request is for: by X-Amz-Target, else by the SigV4 credential scope (header or presigned query). */
export function routeFor(headers: IncomingMessage['headers'], url: string): ServiceName | undefined {
  if (url.startsWith('/_local/')) return 'local';
  const target = String(headers['x-amz-target'] ?? '');
  for (const [prefix, service] of TARGET_PREFIXES) if (target.startsWith(prefix)) return service;
  const authorization = String(headers.authorization ?? '');
  const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1] ?? new URL(url, 'http://edge').searchParams.get('X-Amz-Credential') ?? '';
  const scopeService = credential.split('/')[3];
  return scopeService === undefined ? undefined : SCOPE_SERVICES[scopeService];
}

export type Backend = { url: string; anonymous?: boolean } | ((req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>);

const SIGNATURE_QUERY = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];

/** Forwards a request as is; for an `anonymous` backend (s3rver, which accepts only its own keys) the signature is dropped. */
function forward(backend: { url: string; anonymous?: boolean }, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const target = new URL(backend.url);
  const url = new URL(req.url ?? '/', backend.url);
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  if (backend.anonymous) {
    delete headers.authorization;
    delete headers['x-amz-security-token'];
    for (const key of SIGNATURE_QUERY) url.searchParams.delete(key);
  }
  return new Promise((resolve) => {
    const upstream = http.request(url, { method: req.method, headers }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
      response.on('end', resolve);
    });
    upstream.on('error', (error) => {
      sendJson(res, 502, { __type: 'ServiceUnavailable', message: `local backend ${backend.url} failed: ${error.message}` });
      resolve();
    });
    upstream.end(body);
  });
}

/**
 * s3rver keeps no object versions and answers GetBucketVersioning NotImplemented; S3's answer for a bucket whose
 * versioning was never enabled is an empty configuration, which is the truth here (so erasure knows there are no
 * older versions to delete).
 */
function answersForS3rver(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method !== 'GET' || !url.searchParams.has('versioning') || url.pathname.split('/').filter(Boolean).length !== 1) return false;
  res.writeHead(200, { 'content-type': 'application/xml' });
  res.end('<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
  return true;
}

/**
 * The single endpoint (AWS_ENDPOINT_URL) that fronts every local service. Requests to the emulators it proxies
 * (kinesalite, dynalite, s3rver) meet the fault injector here, by operation (X-Amz-Target), as the stand-ins do.
 */
export function createEdge(backends: Record<ServiceName, Backend>, faults?: FaultInjector, usage?: UsageMeter): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const service = routeFor(req.headers, req.url ?? '/');
      if (!service) {
        sendJson(res, 400, {
          __type: 'UnknownService',
          message:
            'The local cloud cannot tell which service this request is for (no X-Amz-Target, no SigV4 credential scope). Use an AWS SDK or the AWS CLI with --endpoint-url.',
        });
        return;
      }
      const backend = backends[service];
      if (service !== 'local') usage?.request(service, operationOf(req), body);
      if (typeof backend === 'function') return backend(req, res, body);
      try {
        faults?.throwIfInjected(
          service,
          String(req.headers['x-amz-target'] ?? '')
            .split('.')
            .pop() ?? '',
          [body],
        );
      } catch (error) {
        if (!(error instanceof InjectedFault)) throw error;
        sendJson(res, error.status, { __type: error.type, message: error.message }, String(req.headers['content-type'] ?? 'application/x-amz-json-1.0'));
        return;
      }
      if (service === 's3' && answersForS3rver(req, res)) return;
      await forward(backend, req, res, body);
    })().catch((error: Error) => {
      if (!res.headersSent) sendJson(res, 500, { __type: 'InternalFailure', message: error.message });
      else res.destroy(error);
    });
  });
}
