/* Generated from schemas/admin-request.schema.json by "npm run codegen". Do not edit. */
import type { ErrorObject } from 'ajv';

type Validator = ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };
export declare const aliasMove: Validator;
export declare const rollback: Validator;
