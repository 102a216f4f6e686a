import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { runCuratedJob } from '../../local/glue/curated-job';
import { runFeaturesJob } from '../../local/glue/features-job';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { getModelVersion, putModelVersion } from '#adapters/registry-table';
import { VersionExistsError } from '#domain/registry';
import { runTsx } from '../helpers/cli';
import { backfill, drain, outputs } from '../helpers/cloud';

/** The Batch training job's entrypoint, run as a process the way Batch runs the container command. */
describe('training job (batch/train.ts)', () => {
  it('trains on the lake features of a range, splits by time and stores a verifiable artifact', async () => {
    const model = new ShopperModel(1234, new Date('2025-04-01T00:00:00Z'), 4 * 86_400_000);
    const sessions = Array.from({ length: 1500 }, () => model.session());
    const truth = path.join(mkdtempSync(path.join(os.tmpdir(), 'truth-')), 'truth.jsonl');
    writeFileSync(truth, sessions.map((s) => JSON.stringify(s.truth)).join('\n'));
    await backfill(sessions.flatMap((s) => s.events));
    await drain();
    await runCuratedJob(outputs().LakeBucketName!, '2025-04-01', '2025-04-04');
    await runFeaturesJob(outputs().LakeBucketName!, '2025-04-01', '2025-04-04');

    const { code, stdout, stderr } = await runTsx('batch/train.ts', ['--from', '2025-04-01', '--to', '2025-04-04', '--truth', truth, '--json'], {
      LAKE_BUCKET_NAME: outputs().LakeBucketName,
      MODELS_TABLE_NAME: outputs().ModelsTableName,
      MODEL_NAME: 'it-propensity',
      CODE_VERSION: 'test',
    });
    if (code !== 0) throw new Error(`batch/train.ts exited with ${code}: ${stderr}`);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ ok: true, name: 'it-propensity', chosen: expect.stringMatching(/^(gbdt|logreg)$/) });
    expect(summary.metrics.roc_auc).toBeGreaterThan(0.8);
    const { train, validation, test } = summary.split;
    expect(train.rows + validation.rows + test.rows).toBe(1500);
    expect(train.to <= validation.from && validation.to <= test.from).toBe(true);
    // The Bayes-optimal scorer (the generator's own probabilities) on the same test sessions.
    expect(summary.bayes.sessions).toBe(test.rows);
    expect(summary.bayes.model_roc_auc).toBeCloseTo(summary.metrics.roc_auc, 10);
    expect(summary.bayes.bayes_roc_auc).toBeGreaterThan(0.8);

    const key = summary.artifact.uri.replace(`s3://${outputs().LakeBucketName}/`, '');
    const object = await new S3Client({ endpoint: outputs().Endpoint, forcePathStyle: true }).send(
      new GetObjectCommand({ Bucket: outputs().LakeBucketName, Key: key }),
    );
    const body = Buffer.from(await object.Body!.transformToByteArray());
    expect(createHash('sha256').update(body).digest('hex')).toBe(summary.artifact.sha256);
    const artifact = JSON.parse(body.toString('utf8'));
    expect(artifact).toMatchObject({ name: 'it-propensity', version: summary.version, code_version: 'test', data: { from: '2025-04-01', to: '2025-04-04' } });
    expect(artifact.model.kind).toBe(summary.chosen === 'gbdt' ? 'gbdt' : 'logistic_regression');

    const entry = await getModelVersion(outputs().ModelsTableName!, 'it-propensity', summary.version);
    expect(entry).toMatchObject({
      kind: artifact.model.kind,
      artifact: summary.artifact,
      data: { from: '2025-04-01', to: '2025-04-04' },
      code_version: 'test',
    });
    expect(entry!.metrics.test.roc_auc).toBe(summary.metrics.roc_auc);
    await expect(putModelVersion(outputs().ModelsTableName!, entry!)).rejects.toThrow(VersionExistsError);
  });

  it('says what to do when the range has no features', async () => {
    const result = await runTsx('batch/train.ts', ['--from', '2001-01-01', '--to', '2001-01-02', '--json'], {
      LAKE_BUCKET_NAME: outputs().LakeBucketName,
      MODELS_TABLE_NAME: outputs().ModelsTableName,
    });
    expect(result.code).toBe(1);
    expect(result.json.message).toContain('run the feature job first');
  });
});
