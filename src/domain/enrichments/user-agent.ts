import { UAParser } from 'ua-parser-js';

export type DeviceClass = 'mobile' | 'tablet' | 'desktop' | 'bot' | 'unknown';

/** What a user agent says, parsed by ua-parser-js (`ua` in the lake row); fields it cannot tell are left out. */
export interface UserAgentFields {
  browser?: string;
  browser_version?: string;
  os?: string;
  os_version?: string;
  /** ua-parser-js's device type (mobile, tablet, smarttv, console, wearable, embedded…); absent for desktops. */
  device_type?: string;
  device_vendor?: string;
  device_model?: string;
  /** A crawler, a monitor or a headless browser (ua-parser-js 1.x does not flag them: this list does). */
  bot: boolean;
}

const BOT = /bot|crawl|spider|slurp|headless|lighthouse|facebookexternalhit|preview/i;

// Traffic repeats a few thousand user agents; remembering them skips a ~30 µs parse per event.
const KNOWN_AGENTS = new Map<string, UserAgentFields>();
const MAX_KNOWN_AGENTS = 5_000;

export function parseUserAgent(userAgent: string): UserAgentFields {
  let fields = KNOWN_AGENTS.get(userAgent);
  if (fields === undefined) {
    const { browser, os, device } = new UAParser(userAgent).getResult();
    const some = (name: keyof Omit<UserAgentFields, 'bot'>, value: string | undefined) => (value ? { [name]: value.slice(0, 128) } : {});
    fields = {
      ...some('browser', browser.name),
      ...some('browser_version', browser.version),
      ...some('os', os.name),
      ...some('os_version', os.version),
      ...some('device_type', device.type),
      ...some('device_vendor', device.vendor),
      ...some('device_model', device.model),
      bot: BOT.test(userAgent),
    };
    if (KNOWN_AGENTS.size >= MAX_KNOWN_AGENTS) KNOWN_AGENTS.clear();
    KNOWN_AGENTS.set(userAgent, fields);
  }
  return fields;
}

/**
 * The coarse class the features use (`device_class`), derived from the parse: bots, then tablets, then phones and
 * wearables; anything else (desktops, TVs, consoles) is a desktop — the meaning the features were trained with.
 */
export function deviceClass(userAgent: string | undefined): DeviceClass {
  if (!userAgent) return 'unknown';
  const { bot, device_type: type } = parseUserAgent(userAgent);
  if (bot) return 'bot';
  if (type === 'tablet') return 'tablet';
  if (type === 'mobile' || type === 'wearable') return 'mobile';
  return 'desktop';
}
