import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ShopperModel } from '#domain/traffic/shopper-model';
import { sendEvents } from './collector-client';

export interface TrafficOptions {
  url: string;
  sessions: number;
  seed: number;
  days: number;
  end: Date;
  truthFile: string;
  rate?: number;
  onProgress?: (sent: number) => void;
  /** Told the number of events before sending starts (for a progress bar). */
  onPlanned?: (events: number) => void;
}

/** Generates synthetic sessions, writes their true purchase probabilities, and posts the events. */
export async function generateTraffic(options: TrafficOptions) {
  const model = new ShopperModel(options.seed, new Date(options.end.getTime() - options.days * 86_400_000), options.days * 86_400_000);
  const generated = Array.from({ length: options.sessions }, () => model.session());
  const events = generated.flatMap((s) => s.events);
  mkdirSync(path.dirname(options.truthFile), { recursive: true });
  writeFileSync(options.truthFile, `${generated.map((s) => JSON.stringify(s.truth)).join('\n')}\n`);
  options.onPlanned?.(events.length);
  const started = Date.now();
  const result = await sendEvents(options.url, events, {
    ...(options.rate ? { rate: options.rate } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const seconds = (Date.now() - started) / 1000;
  return {
    sessions: options.sessions,
    events: events.length,
    purchases: generated.filter((s) => s.truth.purchased).length,
    accepted: result.accepted,
    rejected: result.rejected,
    seconds,
    events_per_second: Math.round(events.length / seconds),
    truth: options.truthFile,
    /** The visitors' ids as sent (what must never be stored as such: the lake keeps pseudonyms). */
    anonymousIds: new Set(events.map((e) => e.anonymous_id)),
  };
}
