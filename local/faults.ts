/**
 * Fault injection for the local cloud's own stand-ins, set over HTTP (`POST /_local/faults`), so tests
 * exercise retry paths through the real running system instead of mocking our own code.
 *
 * - `throttle`: the next `count` calls of `operation` fail whole with `errorCode`.
 * - `fail-records`: the next `count` calls fail every other record (FailedPutCount > 0).
 * - `poison`: every record whose data contains `match` fails, always (until cleared).
 */
export type FaultRule =
  | { service: string; operation: string; type: 'throttle'; count: number; errorCode?: string }
  | { service: string; operation: string; type: 'fail-records'; count: number; errorCode?: string }
  | { service: string; operation: string; type: 'poison'; match: string; errorCode?: string };

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

  set(rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r }));
  }

  list(): FaultRule[] {
    return this.rules;
  }

  /** Throws for a whole-call fault (throttling) on this operation, if one is armed. */
  throwIfInjected(service: string, operation: string): void {
    const rule = this.rules.find((r) => r.service === service && r.operation === operation && r.type === 'throttle' && r.count > 0);
    if (!rule || rule.type !== 'throttle') return;
    rule.count -= 1;
    throw new InjectedFault(rule.errorCode ?? 'ServiceUnavailableException', 400);
  }

  /** The error code for one record of a batch call, or undefined when it should succeed. */
  recordFault(service: string, operation: string, data: Buffer): string | undefined {
    for (const rule of this.rules) {
      if (rule.service !== service || rule.operation !== operation) continue;
      if (rule.type === 'poison' && data.includes(rule.match)) return rule.errorCode ?? 'ServiceUnavailableException';
      if (rule.type === 'fail-records' && rule.count > 0) {
        const seen = this.recordCounters.get(rule) ?? 0;
        this.recordCounters.set(rule, seen + 1);
        if (seen % 2 === 0) return rule.errorCode ?? 'ServiceUnavailableException';
      }
    }
    return undefined;
  }

  /** Marks the end of one batch call, so `fail-records` counts calls, not records. */
  endCall(service: string, operation: string): void {
    for (const rule of this.rules) {
      if (rule.service === service && rule.operation === operation && rule.type === 'fail-records' && rule.count > 0) rule.count -= 1;
    }
  }
}
