import { fromEnv } from '@aws-sdk/credential-provider-env';
import type { defaultProvider as sdkDefaultProvider } from '@aws-sdk/credential-provider-node';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the function bundles (serverless.yml: esbuild `alias`).
 * Lambda hands a function its role's credentials in the environment, and so do `sls invoke local` (it resolves
 * the profile and passes the keys) and the local cloud: the default chain's other providers (SSO, STS web
 * identity, ini files, processes, container and instance metadata) never answer there, yet carry ~100 KB into
 * every bundle. The CLIs, run by tsx, keep the SDK's whole chain.
 */
export const defaultProvider: typeof sdkDefaultProvider = (init = {}) => fromEnv(init);
