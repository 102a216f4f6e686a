import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ArtifactIntegrityError, getArtifact } from '#adapters/model-artifacts';
import { getAlias, getModelVersion, setAlias } from '#adapters/registry-table';
import { AliasConflictError, VersionExistsError, VersionNotFoundError } from '#domain/registry';
import { s3Client } from '#adapters/s3';
import { outputs } from '../helpers/cloud';
import { registerVersion } from '../helpers/registry';

const MODEL = `it-registry-${Date.now()}`;
const table = () => outputs().ModelsTableName!;

const register = (version: string, padding = 0) =>
  registerVersion({ model: MODEL, version, artifact: { version, ...(padding ? { padding: 'x'.repeat(padding) } : {}) } });

/** The registry's alias writes against the local DynamoDB: optimistic locking, history in the same item, verified artifacts. */
describe('model registry (models table)', () => {
  it('lets exactly one of two concurrent promotions win, and records each change', async () => {
    await Promise.all(['v1', 'v2', 'v3'].map((v) => register(v)));
    const results = await Promise.allSettled(
      ['v1', 'v2'].map((to) => setAlias(table(), MODEL, 'production', { to, expected: null, by: 'test', reason: `promote ${to}` })),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(AliasConflictError);
    const winner = (await getAlias(table(), MODEL, 'production'))!;
    expect(winner.history).toEqual([expect.objectContaining({ from: null, to: winner.version, by: 'test' })]);

    await setAlias(table(), MODEL, 'production', { to: 'v3', expected: winner.version, by: 'test', reason: 'next' });
    await expect(setAlias(table(), MODEL, 'production', { to: 'v1', expected: winner.version, by: 'test', reason: 'stale' })).rejects.toBeInstanceOf(
      AliasConflictError,
    );
    expect((await getAlias(table(), MODEL, 'production'))!.history.map((h) => [h.from, h.to])).toEqual([
      [null, winner.version],
      [winner.version, 'v3'],
    ]);
    await expect(setAlias(table(), MODEL, 'production', { to: 'v9', expected: 'v3', by: 'test', reason: 'missing' })).rejects.toBeInstanceOf(
      VersionNotFoundError,
    );
  });

  it('keeps a small artifact inline and a large one in S3, and refuses either when its bytes no longer match the checksum', async () => {
    const small = (await register('v4')).artifact;
    expect(small.inline).toBe('{"version":"v4"}');
    await expect(getArtifact(small)).resolves.toEqual({ version: 'v4' });
    await expect(getArtifact({ ...small, inline: '{"version":"v5"}' })).rejects.toBeInstanceOf(ArtifactIntegrityError);

    const large = (await register('v5', 100_000)).artifact;
    expect(large.inline).toBeUndefined();
    await expect(getArtifact(large)).resolves.toMatchObject({ version: 'v5' });
    await s3Client().send(new PutObjectCommand({ Bucket: outputs().LakeBucketName!, Key: `models/${MODEL}/v5/model.json`, Body: '{"version":"tampered"}' }));
    await expect(getArtifact(large)).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });

  it('never overwrites a version once written', async () => {
    const before = await getModelVersion(table(), MODEL, 'v4');
    await expect(register('v4', 10)).rejects.toBeInstanceOf(VersionExistsError);
    expect(await getModelVersion(table(), MODEL, 'v4')).toEqual(before);
  });
});
