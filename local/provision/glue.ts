import type { CrawlerSpec, JobSpec } from '../glue/service';
import type { Provisioner } from './types';

const named = (type: string, create?: Provisioner['create']): Provisioner => ({
  type,
  identify: (id, _, ctx) => ({ ref: ctx.nameOf(id, 'Name'), attributes: {} }),
  ...(create ? { create } : {}),
});

export const glueDatabase: Provisioner = {
  type: 'AWS::Glue::Database',
  identify: (_, resource, ctx) => ({ ref: String(ctx.resolver.resolve(resource.Properties?.DatabaseInput?.Name)), attributes: {} }),
  create: (id, _, ctx) => ctx.services.glue.createDatabase(ctx.physical(id).ref),
};
export const glueCrawler = named('AWS::Glue::Crawler', (_, { Properties: props = {} }, ctx) =>
  ctx.services.glue.createCrawler(ctx.resolver.resolve(props) as CrawlerSpec),
);
export const glueJob = named('AWS::Glue::Job', (_, { Properties: props = {} }, ctx) => ctx.services.glue.createJob(ctx.resolver.resolve(props) as JobSpec));
// Encryption settings the local Glue does not enforce; other resources refer to it by name.
export const glueSecurityConfiguration = named('AWS::Glue::SecurityConfiguration');
