/* Generated from schemas/predict-request.schema.json by "npm run codegen". Do not edit. */
import type { ErrorObject } from 'ajv';

declare const validate: ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
export = validate;
