// Integration tests wait on the real pipeline (batch windows, Firehose buffers): minutes, not seconds.
jest.setTimeout(180_000);
