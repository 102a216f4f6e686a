import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { InvocationError, parseInvocation } from '#domain/invocations';
import type { TrainedModel } from '#domain/model/training-run';
import { scoreSessions, type ServableModel } from '#domain/serving';

/**
 * The SageMaker serving container: the container contract (GET /ping, POST /invocations on port 8080) around
 * the same model code the predict function runs in Lambda. SageMaker unpacks the version's model.tar.gz
 * into /opt/ml/model (SM_MODEL_DIR); the artifact is the training job's model.json.
 */
const modelDir = process.env.SM_MODEL_DIR ?? '/opt/ml/model';
const port = Number(process.env.SAGEMAKER_BIND_TO_PORT ?? process.env.PORT ?? 8080);

function loadModel(): ServableModel {
  const artifact = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as { name?: string; version?: string; model?: TrainedModel };
  if (!artifact.model || (artifact.model.kind !== 'gbdt' && artifact.model.kind !== 'logistic_regression'))
    throw new Error(`${modelDir}/model.json holds no model this container can run.`);
  return { name: artifact.name ?? 'model', version: artifact.version ?? 'unknown', model: artifact.model };
}

const servable = loadModel();

const send = (res: http.ServerResponse, status: number, body: unknown) => {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
};

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ping') return send(res, 200, { status: 'healthy', model: servable.name, version: servable.version });
  if (req.method !== 'POST' || req.url !== '/invocations') return send(res, 404, { message: 'GET /ping or POST /invocations' });
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      const request = parseInvocation(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      send(res, 200, { version: servable.version, predictions: scoreSessions(servable, request.instances, request.explain === true) });
    } catch (error) {
      send(res, error instanceof InvocationError || error instanceof SyntaxError ? 400 : 500, { message: (error as Error).message });
    }
  });
});

server.listen(port, () => process.stdout.write(`serving ${servable.name} ${servable.version} on :${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
