import { computeReport, putMonitorReport } from '#adapters/monitoring';
import { scanRegistry } from '#adapters/registry-table';
import { MonitorRequestError, type MonitorReport } from '#domain/monitoring/report';
import { summarizeModels } from '#domain/registry';
import { monitorConfig } from '#shared/config';
import { gaugeNow, logger } from '#shared/logger';
import { lambdaHandler } from '#shared/lambda';

const config = monitorConfig();

interface MonitorEvent {
  /** One model (default: every model with an alias). */
  model?: string;
  /** The window's end (default: now), and its start (default: its length in hours before, monitorWindowHours by default). */
  to?: string;
  from?: string;
  hours?: number;
}

/**
 * The monitoring state machine's step (statemachines/monitoring.asl.yaml; `npm run monitor`): each model's captured
 * predictions of the window, labelled by what their sessions did next, as live quality, drift and alerts — stored
 * in the registry (monitor# items) and published as metrics for the alarms (resources/model-monitoring.yml).
 */
const monitorModels = async (event: MonitorEvent) => {
  const to = event.to ? new Date(event.to) : new Date();
  const from = event.from ? new Date(event.from) : new Date(to.getTime() - (event.hours ?? config.windowHours) * 3_600_000);
  if (!(from.getTime() < to.getTime()))
    throw new MonitorRequestError(
      `The window must start before it ends, at dates; got from=${event.from ?? '–'}, to=${event.to ?? 'now'}, hours=${event.hours ?? '–'}.`,
    );
  const models = event.model
    ? [event.model]
    : summarizeModels(await scanRegistry(config.modelsTableName))
        .filter((m) => Object.keys(m.aliases).length > 0)
        .map((m) => m.name);
  const reports: MonitorReport[] = [];
  for (const model of models) {
    const report = await computeReport({ bucket: config.lakeBucketName, table: config.modelsTableName }, model, { from, to }, config.settings);
    await putMonitorReport(config.modelsTableName, report, config.retentionDays);
    publish(report);
    reports.push(report);
  }
  const alerts = reports.flatMap((r) =>
    r.groups.filter((g) => g.alerts.length > 0).map((g) => ({ model: r.model, version: g.version, route: g.route, alerts: g.alerts })),
  );
  if (alerts.length > 0) logger.warn('model monitoring alerts', { alerts });
  return { window: { from: from.toISOString(), to: to.toISOString() }, reports, alerts };
};

/**
 * The alarms' metrics, by model, alias and route (not version: an alarm must keep its dimensions across
 * promotions). Quality figures only once enough sessions are labelled; drift once there are enough rows.
 */
function publish(report: MonitorReport): void {
  for (const g of report.groups) {
    const dims = { model: report.model, alias: g.alias, route: g.route };
    gaugeNow('LabelledPredictions', g.quality?.labelled ?? 0, dims);
    if (g.quality && g.quality.labelled >= report.settings.minLabelled) {
      if (g.quality.roc_auc) gaugeNow('LiveRocAuc', g.quality.roc_auc.value, dims);
      if (g.auc_drop_at_least !== null) gaugeNow('RocAucDropAtLeast', g.auc_drop_at_least, dims);
      gaugeNow('CalibrationErrorAtLeast', g.quality.ece.low, dims);
    }
    if (g.drift) {
      gaugeNow('MaxFeaturePsi', g.drift.max_feature_psi, dims);
      gaugeNow('ScorePsi', g.drift.score_psi, dims);
    }
  }
}

export const handler = lambdaHandler(monitorModels);
