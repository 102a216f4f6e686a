import type { ErrorObject } from 'ajv';

/** One reason a value breaks a JSON Schema, as the API answers it. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** An ajv error as an issue a client can act on (the compiled validators' messages, with the field named). */
export function schemaIssue(e: ErrorObject, unknownField = 'is not allowed'): ValidationIssue {
  if (e.keyword === 'additionalProperties')
    return { path: `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`, message: unknownField };
  if (e.keyword === 'enum')
    return { path: e.instancePath || '/', message: `must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` };
  return { path: e.instancePath || '/', message: e.message ?? e.keyword };
}
