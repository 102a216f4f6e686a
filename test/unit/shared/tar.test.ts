import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tarGz, untarGz } from '#shared/tar';

describe('model.tar.gz', () => {
  it('round-trips, and is a tar.gz that GNU tar reads (as SageMaker unpacks it)', () => {
    const body = Buffer.from(JSON.stringify({ model: { kind: 'gbdt', trees: Array(300).fill(1) } }));
    const archive = tarGz({ 'model.json': body, 'README.txt': Buffer.from('x') });
    expect(untarGz(archive)).toEqual({ 'model.json': body, 'README.txt': Buffer.from('x') });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tar-'));
    writeFileSync(path.join(dir, 'model.tar.gz'), archive);
    execFileSync('tar', ['-xzf', 'model.tar.gz'], { cwd: dir });
    expect(readFileSync(path.join(dir, 'model.json'))).toEqual(body);
  });
});
