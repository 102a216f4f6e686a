import type { Invoke } from './event-source-mapping';
/**
 * Fault injection for the local cloud's own stand-ins, added over HTTP (`POST /_local/faults`, `DELETE` clears), so tests
 * exercise retry paths through the real running system instead of mocking our own code.
 *
 * - `throttle`: the next `count` calls of `operation` fail whole with `errorCode`.
 * - `fail-records`: the next `count` calls fail every other record (FailedPutCount > 0).
 * - `poison`: every record whose data contains `match` fails, always (until cleared).
 * - `fail`: the next `count` runs of a job (`glue`/`JobRun`, `batch`/`Job`) end FAILED.
 * - `crash`: the next `count` invocations of a function by an event-source mapping (`lambda`/<function name>) die,
 *   as a runtime that exits does: `before-delivery` before the function did anything, `after-delivery` after it ran
 *   but before anything it wrote to DynamoDB last (its BatchWriteItem calls for the batch's keys are lost).
 * With `match`, throttle and fail-records only count calls holding a record that contains it (with a list, any of
 * them), so concurrent tests do not trip over each other's faults.
 */
export type FaultRule =
  | { service: string; operation: string; type: 'throttle'; count: number; match?: string | string[]; errorCode?: string }
  | { service: string; operation: string; type: 'fail-records'; count: number; match?: string; errorCode?: string }
  | { service: string; operation: string; type: 'poison'; match: string; errorCode?: string }
  | { service: string; operation: string; type: 'fail'; count: number }
  | { service: 'lambda'; operation: string; type: 'crash'; point: CrashPoint; count: number };

export type CrashPoint = 'before-delivery' | 'after-delivery';

export class InjectedFault extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
  ) {
    super('Injected fault (local cloud).');
  }
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly recordCounters = new WeakMap<FaultRule, number>();

  add(rules: FaultRule[]): void {
    this.rules.push(...rules.map((r) => ({ ...r })));
  }

  /** Adds one rule until the returned function removes it again. */
  arm(rule: FaultRule): () => void {
    const armed = { ...rule };
    this.rules.push(armed);
    return () => {
      this.rules = this.rules.filter((r) => r !== armed);
    };
  }

  /** Whether this invocation of a function should crash, and where (a `crash` rule is armed); counts it. */
  takeCrash(functionName: string): CrashPoint | undefined {
    // The rule names the function as Lambda does (clickstream-ml-local-ingest) or as serverless.yml does (ingest).
    const rule = this.rules.find(
      (r) => r.service === 'lambda' && (r.operation === functionName || functionName.endsWith(`-${r.operation}`)) && r.type === 'crash' && r.count > 0,
    );
    if (!rule || rule.type !== 'crash') return undefined;
    rule.count -= 1;
    return rule.point;
  }

  /** Removes every rule, or only one service's (tests running side by side each clear their own). */
  clear(service?: string): void {
    this.rules = service === undefined ? [] : this.rules.filter((r) => r.service !== service);
  }

  list(): FaultRule[] {
    return this.rules;
  }

  /** Throws for a whole-call fault (throttling) on this operation, if one is armed. */
  throwIfInjected(service: string, operation: string, records: readonly Buffer[]): void {
    const rule = this.rules.find((r) => r.service === service && r.operation === operation && r.type === 'throttle' && r.count > 0 && this.applies(r, records));
    if (!rule || rule.type !== 'throttle') return;
    rule.count -= 1;
    throw new InjectedFault(rule.errorCode ?? 'ServiceUnavailableException', 503);
  }

  /** Whether this run of a job should fail (a `fail` rule is armed); counts it. */
  takeFailure(service: string, operation: string): boolean {
    const rule = this.rules.find((r) => r.service === service && r.operation === operation && r.type === 'fail' && r.count > 0);
    if (!rule || rule.type !== 'fail') return false;
    rule.count -= 1;
    return true;
  }

  private applies(rule: FaultRule, records: readonly Buffer[]): boolean {
    const match = 'match' in rule ? rule.match : undefined;
    if (match === undefined) return true;
    const wanted = Array.isArray(match) ? match : [match];
    return records.some((r) => wanted.some((m) => r.includes(m)));
  }

  /** Whether any rule is armed for the service (so a caller can skip preparing what rules match against). */
  armedFor(service: string): boolean {
    return this.rules.some((r) => r.service === service);
  }

  /** The error codes for the records of one batch call (undefined = succeeds); counts the call. */
  recordFaults(service: string, operation: string, records: readonly Buffer[]): (string | undefined)[] {
    const active = this.rules.filter(
      (r) => r.service === service && r.operation === operation && (r.type === 'poison' || (r.count > 0 && this.applies(r, records))),
    );
    const codes = records.map((data) => this.recordFault(active, data));
    for (const rule of active) if (rule.type === 'fail-records') rule.count -= 1;
    return codes;
  }

  private recordFault(rules: FaultRule[], data: Buffer): string | undefined {
    for (const rule of rules) {
      if (rule.type === 'poison' && data.includes(rule.match)) return rule.errorCode ?? 'ServiceUnavailableException';
      if (rule.type === 'fail-records') {
        const seen = this.recordCounters.get(rule) ?? 0;
        this.recordCounters.set(rule, seen + 1);
        if (seen % 2 === 0) return rule.errorCode ?? 'ServiceUnavailableException';
      }
    }
    return undefined;
  }
}

/**
 * An invocation whose runtime dies (a `crash` fault), as Lambda reports it to the event-source mapping: a
 * function error, whatever the function did. `before-delivery`: it did nothing. `after-delivery`: it ran, and
 * its last writes — the dedup table's BatchWriteItem calls for this batch's keys — never happened.
 */
export async function crashedInvocation(faults: FaultInjector, invoke: Invoke, name: string, event: unknown, point: CrashPoint) {
  const exited = {
    functionError: 'Unhandled',
    payload: { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: signal: killed (injected crash, ${point})` },
  };
  if (point === 'before-delivery') return exited;
  const records = (event as { Records?: { eventID: string; kinesis: { data: string } }[] }).Records ?? [];
  const keys = records.flatMap((r) => {
    let eventId: unknown;
    try {
      const body = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')) as { event_id?: unknown; event?: { event_id?: unknown } };
      eventId = body.event?.event_id ?? body.event_id;
    } catch {
      eventId = undefined;
    }
    return typeof eventId === 'string' ? [r.eventID, eventId] : [r.eventID];
  });
  const disarm = faults.arm({
    service: 'dynamodb',
    operation: 'BatchWriteItem',
    type: 'throttle',
    count: Number.MAX_SAFE_INTEGER,
    match: keys,
    errorCode: 'InternalServerError',
  });
  try {
    await invoke(name, event);
  } finally {
    disarm();
  }
  return exited;
}
