/** Campaign attribution from the page URL's query: UTM parameters and ad click ids (`campaign` in the lake row). */
export interface CampaignFields {
  source?: string;
  medium?: string;
  name?: string;
  term?: string;
  content?: string;
  /** Which ad platform's click id the URL carried, and the id. */
  click_id_type?: 'gclid' | 'fbclid' | 'msclkid' | 'dclid' | 'ttclid';
  click_id?: string;
}

const UTM = [
  ['utm_source', 'source'],
  ['utm_medium', 'medium'],
  ['utm_campaign', 'name'],
  ['utm_term', 'term'],
  ['utm_content', 'content'],
] as const;
const CLICK_IDS = ['gclid', 'fbclid', 'msclkid', 'dclid', 'ttclid'] as const;
const MAX_VALUE = 256;

/** The campaign a page URL names, or undefined when it names none (or is not a URL). */
export function campaignOf(pageUrl: string | undefined): CampaignFields | undefined {
  if (!pageUrl || !pageUrl.includes('?')) return undefined;
  let query: URLSearchParams;
  try {
    query = new URL(pageUrl).searchParams;
  } catch {
    return undefined;
  }
  const fields: CampaignFields = {};
  for (const [param, field] of UTM) {
    const value = query.get(param);
    if (value) fields[field] = value.slice(0, MAX_VALUE);
  }
  const clickIdType = CLICK_IDS.find((id) => query.get(id));
  if (clickIdType) Object.assign(fields, { click_id_type: clickIdType, click_id: query.get(clickIdType)!.slice(0, MAX_VALUE) });
  return Object.keys(fields).length > 0 ? fields : undefined;
}
