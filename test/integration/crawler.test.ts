import { crawlRaw } from '../../local/glue/crawler';
import { backfill, drain, outputs } from '../helpers/cloud';
import { makeEvent } from '../helpers/events';

/** The local Glue crawler catalogs the raw zone: columns from the contract, dt/hour partitions from the keys. */
describe('local Glue crawler', () => {
  it('finds the partitions events landed in, with the contract columns', async () => {
    await backfill([makeEvent({ event_time: '2025-05-05T07:30:00.000Z' }), makeEvent({ event_time: '2025-05-06T23:59:59.000Z' })]);
    await drain();
    const table = await crawlRaw(`s3://${outputs().LakeBucketName!}/raw/clickstream/`, 'clickstream_ml_local', 'raw_');
    expect(table.Name).toBe('raw_clickstream');
    expect(table.PartitionKeys.map((k) => k.Name)).toEqual(['dt', 'hour']);
    expect(table.Partitions.map((p) => p.Values)).toEqual(
      expect.arrayContaining([
        ['2025-05-05', '07'],
        ['2025-05-06', '23'],
      ]),
    );
    expect(table.StorageDescriptor.Columns).toEqual(
      expect.arrayContaining([
        { Name: 'event_id', Type: 'string' },
        { Name: 'product', Type: 'struct<id:string,category:string,brand:string,price:double,currency:string>' },
        { Name: 'device_class', Type: 'string' },
      ]),
    );
  });
});
