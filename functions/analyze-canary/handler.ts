import { computeReport, putCanaryCheck } from '#adapters/monitoring';
import { getAlias } from '#adapters/registry-table';
import { CanaryChangedError, canaryFigures, decideCanary, type CanaryState } from '#domain/monitoring/canary';
import { monitorConfig } from '#shared/config';
import { countNow } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = monitorConfig();

/**
 * One check of a canary: the alias must still route this canary; the canary's and production's captured predictions
 * since the canary started are labelled and compared (src/domain/monitoring/canary.ts), and the figures, settings and
 * decision are stored as `canary#<run>#<check>` so anyone can decide again from them.
 */
const analyzeCanary = async (state: CanaryState): Promise<CanaryState> => {
  const alias = await getAlias(config.modelsTableName, state.model, state.alias);
  if (alias?.version !== state.production_version || alias.canary?.version !== state.canary_version)
    throw new CanaryChangedError(
      `${state.model} alias "${state.alias}" no longer serves ${state.production_version} with canary ${state.canary_version} (it serves ${alias?.version ?? 'nothing'}${alias?.canary ? ` with canary ${alias.canary.version}` : ''}); the analysis stops.`,
    );
  const now = new Date();
  const report = await computeReport(
    { bucket: config.lakeBucketName, table: config.modelsTableName },
    state.model,
    { from: new Date(state.started_at), to: now },
    config.settings,
    now.getTime(),
  );
  const figures = canaryFigures(report.groups, state.alias, { production: state.production_version, canary: state.canary_version }, config.canary);
  const { decision, reason } = decideCanary(figures, config.canary, state.check);
  await putCanaryCheck(
    config.modelsTableName,
    state.model,
    state.run,
    state.check,
    { at: now.toISOString(), check: state.check, window: report.window, settings: config.canary, figures, decision, reason },
    config.retentionDays,
  );
  countNow('CanaryChecks', 1, { model: state.model, decision });
  return { ...state, check: state.check + 1, decision, reason };
};

export const handler = lambdaHandler(analyzeCanary);
