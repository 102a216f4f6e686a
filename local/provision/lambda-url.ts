import type { UrlCors } from '../function-urls';
import type { Provisioner } from './types';

/** A Lambda function URL, served by the local cloud's function-URL stand-in (local/function-urls.ts). */
export const lambdaUrl: Provisioner = {
  type: 'AWS::Lambda::Url',
  identify: (id, _, ctx) => ({ ref: ctx.services.functionUrls.urlOf(id), attributes: { FunctionUrl: ctx.services.functionUrls.urlOf(id) } }),
  create: (id, { Properties: props = {} }, ctx) => {
    const functionName = String(ctx.resolver.resolve(props.TargetFunctionArn)).split(':').pop()!;
    ctx.services.functionUrls.register(id, functionName, props.Cors ? (ctx.resolver.resolve(props.Cors) as UrlCors) : undefined);
  },
};
