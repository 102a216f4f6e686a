import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClickstreamEvent } from '#domain/events/schema';
import { mapConcurrent } from '#shared/concurrency';
import { ShopperModel, type Drift, type GeneratedSession } from '#domain/traffic/shopper-model';
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
  /** Sessions starting from the drift's time behave differently (`--drift`). */
  drift?: Drift;
  /** The shop's catalogue seed (default: the seed). */
  shop?: number;
  /** Then ask POST /predict for every session, with its events before any purchase (what a storefront would know). */
  predict?: PredictOptions;
}

export interface PredictOptions {
  model: string;
  alias?: string;
  /** A predict API key (Authorization: Bearer), where the stage requires one. */
  key?: string;
  onPlanned?: (sessions: number) => void;
  onProgress?: (sessions: number) => void;
}

const PREDICT_BATCH = 100;

/**
 * Scores each session through POST /predict as its visitor's storefront would: the events before any purchase, and
 * how many sessions the visitor started before (so the live features are the lake's). The answers are what
 * `npm run monitor` later labels with the sessions' purchases.
 */
export async function predictSessions(
  url: string,
  sessions: readonly GeneratedSession[],
  options: PredictOptions,
): Promise<{ sessions: number; requests: number }> {
  const earlier = previousSessions(sessions.map((s) => s.events));
  options.onPlanned?.(sessions.length);
  const batches: GeneratedSession[][] = [];
  for (let i = 0; i < sessions.length; i += PREDICT_BATCH) batches.push(sessions.slice(i, i + PREDICT_BATCH));
  await mapConcurrent(batches, 4, async (batch) => {
    const body = {
      model: options.model,
      ...(options.alias ? { alias: options.alias } : {}),
      sessions: batch.map((s) => ({
        session_id: s.truth.session_id,
        events: s.events.filter((e) => e.event_type !== 'purchase'),
        previous_sessions: earlier.get(s.truth.session_id) ?? 0,
      })),
    };
    const response = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.key ? { authorization: `Bearer ${options.key}` } : {}) },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`POST /predict answered ${response.status}: ${await response.text()}`);
    options.onProgress?.(batch.length);
  });
  return { sessions: sessions.length, requests: batches.length };
}

/** Each session's number of earlier sessions by the same visitor (by start time), as the lake's features count them. */
export function previousSessions(sessions: readonly (readonly ClickstreamEvent[])[]): Map<string, number> {
  const byVisitor = new Map<string, { id: string; start: string }[]>();
  for (const events of sessions) {
    const first = events[0]!;
    const list = byVisitor.get(first.anonymous_id) ?? [];
    list.push({ id: first.session_id, start: first.event_time });
    byVisitor.set(first.anonymous_id, list);
  }
  const earlier = new Map<string, number>();
  for (const list of byVisitor.values()) list.sort((a, b) => a.start.localeCompare(b.start)).forEach((s, i) => earlier.set(s.id, i));
  return earlier;
}

/** Generates synthetic sessions, writes their true purchase probabilities, and posts the events. */
export async function generateTraffic(options: TrafficOptions) {
  const model = new ShopperModel(
    options.seed,
    new Date(options.end.getTime() - options.days * 86_400_000),
    options.days * 86_400_000,
    options.drift,
    options.shop,
  );
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
  const predicted = options.predict ? await predictSessions(options.url, generated, options.predict) : undefined;
  return {
    ...(predicted ? { predicted: predicted.sessions } : {}),
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
