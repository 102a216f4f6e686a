import { TRAINERS, type Trainer } from '#domain/training';
import { parseCli, runCli, UsageError } from '#shared/args';
import { useLocalCloud } from './local-env';
import { describeOutcome, runTrainingWorkflow } from './training-workflow';

const USAGE = `
npm run train -- [--from YYYY-MM-DD --to YYYY-MM-DD] [--trainer auto|batch|sagemaker] [--candidate]
                 [--state-machine-arn ARN --models-table NAME] [--json]

Runs the training workflow (statemachines/training.asl.yaml): crawler → Glue feature job → training (the
TypeScript trainer on Batch, or SageMaker's XGBoost from stage param sagemakerMinRows sessions on) →
evaluation gate → promote or reject. --trainer forces one (default auto); locally the SageMaker path runs
Debian's XGBoost (apt-get install -y python3-xgboost). Dates are inclusive UTC session-start dates; without them the run covers
the days before today (stage param trainingLookbackDays). Prints each state as it runs and the final metrics;
exits 1 if the run fails. --candidate keeps a version that passes the gate as a candidate instead of promoting it:
start a canary with it (npm run models -- canary <name> <version> --weight W --auto), which promotes it or rolls it
back on live outcomes (README, "Monitoring models").
Locally (default) it starts the state machine in the running local cloud (\`npm run local\` or \`npm start\`).
On AWS: pass --state-machine-arn and --models-table (stack outputs TrainingStateMachineArn, ModelsTableName).
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    from: { type: 'string' },
    to: { type: 'string' },
    'state-machine-arn': { type: 'string' },
    'models-table': { type: 'string' },
    candidate: { type: 'boolean', default: false },
    trainer: { type: 'string', default: 'auto' },
  });
  const trainer = values.trainer as Trainer;
  if (!TRAINERS.includes(trainer)) throw new UsageError(`--trainer takes ${TRAINERS.join(', ')}, got "${values.trainer}".`);
  if ((values.from === undefined) !== (values.to === undefined)) throw new UsageError(`Give both --from and --to, or neither.\n${USAGE.trim()}`);
  for (const name of ['from', 'to'] as const) {
    const value = values[name];
    if (value !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new UsageError(`--${name} takes a date (YYYY-MM-DD), got "${value}".`);
  }
  if (values.from && values.to && values.from > values.to) throw new UsageError(`--from ${values.from} is after --to ${values.to}.`);
  let target: { stateMachineArn: string; modelsTableName: string };
  if (values['state-machine-arn']) {
    if (!values['models-table']) throw new UsageError('With --state-machine-arn, give --models-table too.');
    target = { stateMachineArn: values['state-machine-arn'], modelsTableName: values['models-table'] };
  } else {
    const outputs = useLocalCloud();
    if (!outputs.TrainingStateMachineArn) throw new Error('The local cloud has no training state machine; restart it (`npm run local`).');
    target = { stateMachineArn: outputs.TrainingStateMachineArn, modelsTableName: outputs.ModelsTableName };
  }
  const json = values.json === true;
  const say = (line: string) => (json ? undefined : process.stderr.write(`${line}\n`));
  say(`▶ training workflow ${values.from ? `${values.from} … ${values.to}` : '(default range)'}`);
  const result = await runTrainingWorkflow({
    ...target,
    input: {
      ...(values.from ? { from: values.from, to: values.to! } : {}),
      ...(values.candidate ? { release: 'candidate' as const } : {}),
      ...(trainer !== 'auto' ? { trainer } : {}),
    },
    say,
    tty: !json && process.stderr.isTTY,
  });
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${describeOutcome(result)}\n`);
  if (!result.ok) process.exit(1);
});
