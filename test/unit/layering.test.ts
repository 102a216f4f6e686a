import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The rules dependency-cruiser reports as broken for these paths (its text report: "error <rule>: …"). */
function violatedRules(targets: string[]): string[] {
  let report: string;
  try {
    report = execFileSync(path.join(root, 'node_modules', '.bin', 'depcruise'), ['--config', '.dependency-cruiser.cjs', ...targets], {
      cwd: root,
      stdio: 'pipe',
    }).toString();
  } catch (error) {
    report = (error as { stdout: Buffer }).stdout.toString();
  }
  return [...new Set([...report.matchAll(/^\s*error ([a-z-]+):/gm)].map((m) => m[1]!))].sort();
}

/** The layering rules (.dependency-cruiser.cjs, run over the tree by `npm run layering`) each fire on a file that breaks them. */
describe('layering', () => {
  it('fires every rule on the fixture files that break them', () => {
    expect(violatedRules(['test/fixtures/layering'])).toEqual([
      'adapters-below-handlers',
      'aws-sdk-only-in-adapters',
      'browser-code-standalone',
      'cli-through-adapters',
      'domain-is-pure',
      'no-circular',
      'production-imports-no-tooling',
    ]);
  });
});
