import type { Observed } from '../events/envelope';
import type { LakeEvent } from '../events/lake-event';
import { campaignOf } from './campaign';
import { referrerClassOf } from './referrer';
import { parseUserAgent } from './user-agent';

/**
 * An enrichment: one small named step of ingest that adds fields of its own to a valid event's lake row. It gets
 * the row as built so far and what the collector observed of the request, and returns the fields to add (nothing
 * when it has nothing to say). It must not throw for any valid event: a throw makes the event an
 * `enrichment_error` bad row. To add one: write it here beside the others, list it in ENRICHMENTS, name its
 * fields in `fields` (replay strips them to recover the event as sent), and add its name to the stage param
 * `enrichments` (serverless.yml).
 */
export interface Enrichment {
  name: string;
  fields: readonly string[];
  enrich(row: Readonly<LakeEvent>, ctx: { observed?: Observed }): Partial<LakeEvent>;
}

const userAgent: Enrichment = {
  name: 'user-agent',
  fields: ['ua'],
  // The client's own user agent first: a server-side sender (a backend, the generator) speaks for a browser.
  enrich: (row, { observed }) => {
    const agent = row.context?.user_agent ?? observed?.user_agent;
    return agent ? { ua: parseUserAgent(agent) } : {};
  },
};

const campaign: Enrichment = {
  name: 'campaign',
  fields: ['campaign'],
  enrich: (row) => {
    const found = campaignOf(row.page?.url);
    return found ? { campaign: found } : {};
  },
};

const referrer: Enrichment = {
  name: 'referrer',
  fields: ['referrer_class'],
  enrich: (row) => (row.page ? { referrer_class: referrerClassOf(row.page.referrer, row.page.url) } : {}),
};

export const ENRICHMENTS: readonly Enrichment[] = [userAgent, campaign, referrer];

/** Every field an enrichment may add. */
export const ENRICHMENT_OUTPUT_FIELDS = ENRICHMENTS.flatMap((e) => e.fields);

export class UnknownEnrichmentError extends Error {
  override name = 'UnknownEnrichmentError';
}

/** The enrichments a stage lists (by name, in the order given). */
export function enrichmentsNamed(names: readonly string[]): Enrichment[] {
  return names.map((name) => {
    const found = ENRICHMENTS.find((e) => e.name === name);
    if (!found) throw new UnknownEnrichmentError(`Unknown enrichment "${name}"; known: ${ENRICHMENTS.map((e) => e.name).join(', ')}.`);
    return found;
  });
}
