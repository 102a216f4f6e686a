import { gunzipSync, gzipSync } from 'node:zlib';
import { rawRecord, rawRecordPartition, RawRecordError } from '#domain/raw-records';

describe('raw records: gzip members that name their partition', () => {
  it('round-trips rows and partition, and stays a gzip member any reader inflates', () => {
    const rows = Buffer.from('{"a":1}\n{"a":2}\n');
    const record = rawRecord(rows, { dt: '2026-11-29', hour: '07' });
    expect(rawRecordPartition(record)).toEqual({ dt: '2026-11-29', hour: '07' });
    expect(gunzipSync(record)).toEqual(rows);
  });

  it('refuses what is not a member naming a partition, with the reason', () => {
    expect(() => rawRecordPartition(Buffer.from('{"a":1}\n'))).toThrow(new RawRecordError('the record is not a gzip member'));
    expect(() => rawRecordPartition(gzipSync('{"a":1}\n'))).toThrow(/no FNAME/);
    const named = rawRecord(Buffer.from('x'), { dt: '2026-11-29', hour: '07' });
    named.write('../../etc', 10, 'latin1');
    expect(() => rawRecordPartition(named)).toThrow(/names no "dt=YYYY-MM-DD\/hour=HH" partition/);
  });
});
