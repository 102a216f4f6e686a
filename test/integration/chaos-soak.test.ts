import { formatSoak, runSoak } from '../../bench/soak';
import { outputs } from '../helpers/cloud';
import { fuzzSeed } from '../helpers/fuzz';

/** The chaos soak (bench/soak.ts) at 10,000 events; `npm run soak` runs it at 100,000 on a cloud of its own. */
describe('chaos soak', () => {
  it('loses and doubles nothing at 10,000 events under seeded Firehose, DynamoDB and crash faults', async () => {
    const report = await runSoak(outputs(), { events: 10_000, seed: fuzzSeed() });
    process.stderr.write(`${formatSoak(report)}\n`);
    expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      bad_lost: 0,
      bad_duplicated: 0,
      errors_records: 0,
      curated: report.valid,
      bad_rows: expect.any(Number),
    });
    expect(new Set(Object.keys(report.faults)).size).toBeGreaterThanOrEqual(3);
  });
});
