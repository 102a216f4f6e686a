import { runTsx } from '../../helpers/cli';

/** `npm run cost` reads the stage's settings with `sls print` (offline) and the committed measurement. */
describe('npm run cost', () => {
  it('prices the configured stack at each rate and sets it beside Clickstream Analytics on AWS', async () => {
    const run = await runTsx('cli/cost.ts', ['--rps', '10,100', '--json']);
    expect(run.code).toBe(0);
    expect(run.json.config).toMatchObject({ collector: 'http-api', kinesis: { mode: 'on-demand' }, dedup: false, collectMemoryMb: 512, ingestBatchSize: 500 });
    expect(run.json.bills.map((b: { rps: number }) => b.rps)).toEqual([10, 100]);
    for (const { bill } of run.json.bills)
      expect(bill.total).toBeCloseTo(
        bill.lines.reduce((s: number, l: { usd: number }) => s + l.usd, 0),
        6,
      );
    expect(run.json.comparisons).toHaveLength(2);
    expect(run.json.comparisons[1]).toMatchObject({ event_bytes: 1024 });
    const lean = await runTsx('cli/cost.ts', ['--rps', '10', '--kinesis', 'provisioned:2', '--dedup', 'off', '--json']);
    expect(lean.json.config).toMatchObject({ kinesis: { mode: 'provisioned', shards: 2 }, dedup: false });
    expect(lean.json.bills[0].bill.total).toBeLessThan(run.json.bills[0].bill.total);
    expect((await runTsx('cli/cost.ts', ['--kinesis', 'sometimes', '--json'])).code).toBe(2);
  }, 60_000);
});
