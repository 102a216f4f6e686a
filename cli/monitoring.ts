import { startExecution } from '#adapters/stepfunctions';
import type { CanaryState } from '#domain/monitoring/canary';
import type { GroupReport, MonitorReport } from '#domain/monitoring/report';
import { runToEnd } from './executions';

const interval = (e: { value: number; low: number; high: number } | null | undefined) =>
  e ? `${e.value.toFixed(3)} [${e.low.toFixed(3)}, ${e.high.toFixed(3)}]` : '–';
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(1)} %`);

function groupLines(g: GroupReport): string[] {
  const q = g.quality;
  const lines = [
    `  ${g.version}  ${g.alias}/${g.route}`,
    `    sessions ${g.sessions} (${g.predictions} predictions): labelled ${q?.labelled ?? 0}, waiting for their outcome ${g.pending}, without a session id ${g.unlabellable}`,
    `    buyers ${pct(q?.positive_rate)} (mean predicted ${pct(q?.mean_probability)})`,
    `    ROC-AUC ${interval(q?.roc_auc)}   offline ${g.offline ? g.offline.roc_auc.toFixed(3) : '–'}${g.auc_drop_at_least !== null && g.auc_drop_at_least > 0 ? `   drop at least ${g.auc_drop_at_least.toFixed(3)}` : ''}`,
    `    PR-AUC ${interval(q?.pr_auc)}   log loss ${interval(q?.log_loss)}   ECE ${interval(q?.ece)}`,
  ];
  if (g.drift) {
    const { not_judged: notJudged } = g.drift;
    const top = g.drift.features
      .filter((f) => !notJudged.includes(f.feature))
      .slice(0, 3)
      .map((f) => `${f.feature} ${f.psi.toFixed(3)}`)
      .join(', ');
    const over = g.drift.drifted.length ? `; over the threshold: ${g.drift.drifted.join(', ')}` : '';
    const skipped = notJudged.length ? `; not judged (the sessions span less than their cycle): ${notJudged.join(', ')}` : '';
    lines.push(`    drift PSI: score ${g.drift.score_psi.toFixed(3)}; features ${top}${over}${skipped}`);
  } else lines.push('    drift: – (fewer than 100 sessions, or a version trained before drift references were stored)');
  lines.push(`    alerts: ${g.alerts.length ? g.alerts.join(', ') : 'none'}`);
  return lines;
}

/** A report as lines for a person: one block per version and route. */
export function formatReport(report: MonitorReport): string {
  const s = report.settings;
  return [
    `${report.model} — predictions captured ${report.window.from} → ${report.window.to}; a session is a buyer if it purchased within ${s.horizonMinutes} min after the prediction; intervals at ${Math.round(s.confidence * 100)} %`,
    ...(report.unreadable_lines > 0
      ? [`  ${report.unreadable_lines} line(s) of predictions/ held no prediction and were skipped (written by something else than POST /predict?)`]
      : []),
    ...(report.groups.length === 0
      ? ['  no captured predictions in this window (POST /predict captures them; npm run generate -- --predict makes some)']
      : report.groups.flatMap(groupLines)),
  ].join('\n');
}

/** A canary analysis to start: the alias's version and canary as they are now, since when, and how often to check. */
export type CanaryStart = Omit<CanaryState, 'run' | 'check' | 'decision' | 'reason'>;

/**
 * Starts the canary state machine (statemachines/canary.asl.yaml) on a canary the alias routes; with `wait`, follows
 * it to its decision (promote or roll back, with the reason it recorded in the alias's history).
 */
export async function startCanaryAnalysis(
  stateMachineArn: string,
  canary: CanaryStart,
  options: { wait: boolean; say: (line: string) => void },
): Promise<{ run: string; execution_arn: string; decision?: string; reason?: string }> {
  const run = `${canary.model}-${canary.canary_version}-${canary.started_at.replace(/[-:.]/g, '')}`.slice(0, 80);
  const input = { ...canary, run, check: 1 };
  if (!options.wait) return { run, execution_arn: await startExecution(stateMachineArn, input) };
  const { arn, output } = await runToEnd(stateMachineArn, input, 'canary analysis', options.say);
  const result = output as { decision: string; reason: string };
  return { run, execution_arn: arn, decision: result.decision, reason: result.reason };
}
