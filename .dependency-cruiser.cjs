/**
 * The house's layering rules (README, "Architecture"), checked by dependency-cruiser in `npm test` (`npm run layering`).
 * test/unit/layering.test.ts shows each rule fires on a file that breaks it.
 */
// Paths match anywhere below the root, so the fixtures under test/fixtures/layering/ meet the same rules.
const PRODUCTION = '(^|/)(functions|src|batch|serving)/';
const AWS_SDK = 'node_modules/(@aws-sdk|@smithy)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain is pure logic: no AWS SDK, no adapters, handlers, local cloud or CLI.',
      severity: 'error',
      from: { path: '(^|/)src/domain/' },
      to: { path: [AWS_SDK, '(^|/)src/adapters/', '(^|/)functions/', '(^|/)local/', '(^|/)cli/'] },
    },
    {
      name: 'adapters-below-handlers',
      comment: 'src/adapters serve the handlers and CLIs; they import none of them, nor the local cloud.',
      severity: 'error',
      from: { path: '(^|/)src/adapters/' },
      to: { path: ['(^|/)functions/', '(^|/)local/', '(^|/)cli/'] },
    },
    {
      name: 'production-imports-no-tooling',
      comment: 'What is deployed (functions, src, batch, serving) imports nothing from the CLI, the local cloud, the bench or the tests.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: ['(^|/)cli/', '(^|/)local/', '(^|/)bench/', '(^|/)test/'] },
    },
    {
      name: 'aws-sdk-only-in-adapters',
      comment:
        'Of the deployed code, only src/adapters (and src/shared/aws-clients.ts and aws-credentials.ts, the client factory and its credentials) call the AWS SDK.',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: '(^|/)src/adapters/|(^|/)src/shared/aws-(clients|credentials)\\.ts$' },
      to: { path: AWS_SDK, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-through-adapters',
      comment: 'CLIs reach AWS through src/adapters (types may come from the SDK).',
      severity: 'error',
      from: { path: '(^|/)cli/' },
      to: { path: AWS_SDK, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'browser-code-standalone',
      comment: 'The tracker and the demo run in browsers: they import nothing outside clients/ (no runtime dependencies, no Node).',
      severity: 'error',
      from: { path: '(^|/)clients/(web|demo)/src/' },
      to: { pathNot: '(^|/)clients/(web|demo)/src/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles between modules.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    exclude: { path: '(^|/)(\\.local|\\.esbuild|\\.serverless)/|\\.generated\\.(js|d\\.ts)$' },
  },
};
