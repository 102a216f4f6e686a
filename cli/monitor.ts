import type { MonitorReport } from '#domain/monitoring/report';
import { intOption, parseCli, runCli, UsageError } from '#shared/args';
import { runToEnd } from './executions';
import { formatReport } from './monitoring';

const USAGE = `
npm run monitor -- [--model NAME] [--hours H | --from ISO] [--to ISO] [--state-machine-arn ARN] [--json]

Runs the monitoring state machine (statemachines/monitoring.asl.yaml; on AWS it also runs on the stage's
monitorSchedule): the predictions POST /predict captured in the window are labelled by whether their session
purchased within the horizon, and each model version and route gets its live ROC-AUC, PR-AUC, log loss and
calibration with intervals, beside its offline test figures, and its drift (PSI) from its training data.
The reports are stored in the registry (npm run models -- monitor <name> shows the latest).
  --model   one model (default: every model with an alias)
  --hours   the window's length (default: the stage's monitorWindowHours, 24), or --from its start
  --to      the window's end (default: now)
Locally the state machine is the running local cloud's; on AWS pass the stack output MonitoringStateMachineArn.
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    model: { type: 'string' },
    hours: { type: 'string' },
    to: { type: 'string' },
    from: { type: 'string' },
    'state-machine-arn': { type: 'string' },
  });
  for (const name of ['from', 'to'] as const)
    if (values[name] !== undefined && Number.isNaN(Date.parse(values[name]))) throw new UsageError(`--${name} "${values[name]}" is not a date.`);
  if (values.from !== undefined && values.hours !== undefined) throw new UsageError('Give --hours or --from, not both.');
  const outputs: Record<string, string | undefined> = values['state-machine-arn'] === undefined ? (await import('./local-env')).useLocalCloud() : {};
  const arn = values['state-machine-arn'] ?? outputs.MonitoringStateMachineArn;
  if (!arn) throw new UsageError('No monitoring state machine: pass --state-machine-arn (stack output MonitoringStateMachineArn).');
  const say = (line: string) => values.json || process.stderr.write(`${line}\n`);
  const { arn: executionArn, output } = await runToEnd(
    arn,
    {
      ...(values.model ? { model: values.model } : {}),
      ...(values.to ? { to: values.to } : {}),
      ...(values.from ? { from: values.from } : {}),
      ...(values.hours ? { hours: intOption(values.hours, 'hours', 24, 1) } : {}),
    },
    'monitor',
    say,
  );
  const result = output as { window: { from: string; to: string }; reports: MonitorReport[]; alerts: unknown[] };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, execution_arn: executionArn, ...result })}\n`);
    return;
  }
  if (result.reports.length === 0) process.stdout.write('no model has an alias yet: train one (npm run train)\n');
  for (const report of result.reports) process.stdout.write(`${formatReport(report)}\n`);
});
