import { getAlias, setAlias, setAliasRouting } from '#adapters/registry-table';
import type { CanaryState } from '#domain/monitoring/canary';
import { AliasConflictError, movedBy } from '#domain/registry';
import { monitorConfig } from '#shared/config';
import { countNow } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = monitorConfig();

/**
 * The canary state machine's end: promote (the alias moves to the canary version; a promotion ends the canary) or
 * roll back (the canary is removed), each recorded in the alias's history with the figures that decided it. Safe
 * to repeat: a retry that finds its own change already made succeeds.
 */
const concludeCanary = async (state: CanaryState & { execution: string }) => {
  const by = `canary-analysis/${state.run}`;
  const reason = `canary ${state.decision === 'promote' ? 'promoted' : 'rolled back'} after ${state.check - 1} check(s): ${state.reason ?? ''}`;
  try {
    if (state.decision === 'promote')
      await setAlias(config.modelsTableName, state.model, state.alias, { to: state.canary_version, expected: state.production_version, by, reason });
    else await setAliasRouting(config.modelsTableName, state.model, state.alias, { canary: null }, { expected: state.production_version, by, reason });
  } catch (error) {
    if (!(error instanceof AliasConflictError)) throw error;
    const current = await getAlias(config.modelsTableName, state.model, state.alias);
    const done =
      state.decision === 'promote'
        ? current?.version === state.canary_version && movedBy(current.history, state.canary_version, by)
        : current?.history.some((h) => h.by === by);
    if (!done) throw error;
  }
  countNow('CanaryConclusions', 1, { model: state.model, decision: state.decision ?? 'rollback' });
  return {
    model: state.model,
    alias: state.alias,
    decision: state.decision,
    reason,
    production_version: state.production_version,
    canary_version: state.canary_version,
  };
};

export const handler = lambdaHandler(concludeCanary);
