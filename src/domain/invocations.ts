import { FEATURE_NAMES } from './features/spec';
import type { NamedSession } from './serving';

/**
 * The body POST /invocations takes and returns (the SageMaker serving container and the predict function's
 * SageMaker backend agree on it here): sessions as named features, computed by predict before the call.
 */
export interface InvocationRequest {
  instances: NamedSession[];
  explain?: boolean;
}

export class InvocationError extends Error {
  override name = 'InvocationError';
}

const KNOWN = new Set<string>(FEATURE_NAMES);

export function parseInvocation(body: unknown): InvocationRequest {
  const value = body as Partial<InvocationRequest> | null;
  if (!value || typeof value !== 'object' || !Array.isArray(value.instances) || value.instances.length === 0 || value.instances.length > 1000) {
    throw new InvocationError('Body must be {"instances": [{"session_id", "features": {…}}, …]} with 1 to 1,000 instances.');
  }
  value.instances.forEach((instance, i) => {
    const features = (instance as { features?: unknown })?.features;
    if (!features || typeof features !== 'object' || Array.isArray(features))
      throw new InvocationError(`instances[${i}].features must be an object of feature values.`);
    for (const [name, v] of Object.entries(features)) {
      if (!KNOWN.has(name) || !(v === null || typeof v === 'number'))
        throw new InvocationError(`instances[${i}].features.${name} is not a known numeric feature.`);
    }
  });
  return { instances: value.instances.map((x) => ({ session_id: x.session_id ?? null, features: x.features })), explain: value.explain === true };
}
