import { pseudonymization } from '#adapters/secrets';
import { erasureSubject, ErasureRequestError, type ErasureReceipt, type SubjectField } from '#domain/erasure';
import { parseCli, runCli, UsageError } from '#shared/args';
import { runToEnd } from './executions';

const USAGE = `
npm run erase -- (--user-id U | --anonymous-id A) [--dry-run] [--json]
                 [--state-machine-arn ARN --secret-id S] [--pseudonymize-fields user_id,anonymous_id]

Erases one person from the lake (GDPR art. 17) by running the erasure state machine: every object of raw/, bad/
and errors/ that holds their rows is rewritten without them (older object versions that hold them are deleted),
their dedup items are deleted, the curated and feature partitions of their dates are deleted (the next training
run rebuilds them) and every model version trained on those partitions is flagged, so the next training run replaces it.
Prints the receipt (also kept in the lake under audit/erasures/, with no id in it). --dry-run counts and changes
nothing.

The id is matched as the stage stores it: pseudonymized (HMAC-SHA256 under the stage's Secrets Manager key) when
the stage's pseudonymizeFields lists the field. Only its SHA-256 digest reaches the state machine.
Locally the state machine and secret come from the running local cloud; on AWS pass the stack outputs
ErasureStateMachineArn and PseudonymizationSecretName, and the stage's pseudonymizeFields if not the default.
`;

runCli(async () => {
  const { values } = parseCli(USAGE, {
    'user-id': { type: 'string' },
    'anonymous-id': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'state-machine-arn': { type: 'string' },
    'secret-id': { type: 'string' },
    'pseudonymize-fields': { type: 'string', default: 'user_id,anonymous_id' },
  });
  const given = (['user-id', 'anonymous-id'] as const).filter((flag) => values[flag] !== undefined);
  if (given.length !== 1) throw new UsageError(`Give exactly one of --user-id and --anonymous-id.\n${USAGE.trim()}`);
  const field: SubjectField = given[0] === 'user-id' ? 'user_id' : 'anonymous_id';
  const outputs: Record<string, string | undefined> = values['state-machine-arn'] === undefined ? (await import('./local-env')).useLocalCloud() : {};
  const stateMachineArn = values['state-machine-arn'] ?? outputs.ErasureStateMachineArn;
  if (!stateMachineArn) throw new UsageError('No erasure state machine: pass --state-machine-arn (stack output ErasureStateMachineArn).');
  const say = (line: string) => values.json || process.stderr.write(`${line}\n`);

  const key = await pseudonymization({
    fields: values['pseudonymize-fields']
      .split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0 && f !== 'none'),
    secretId: values['secret-id'] ?? outputs.PseudonymizationSecretName,
  })();
  let subject;
  try {
    subject = erasureSubject(field, values[given[0]!]!, key);
  } catch (error) {
    if (error instanceof ErasureRequestError) throw new UsageError(error.message);
    throw error;
  }
  const { arn: executionArn, output } = await runToEnd(
    stateMachineArn,
    { ...subject, dry_run: values['dry-run'] },
    `erase${values['dry-run'] ? ' (dry run)' : ''}`,
    say,
    'running it again is safe',
  );
  const receipt = output as ErasureReceipt & { receipt_key?: string };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, execution_arn: executionArn, ...receipt })}\n`);
    return;
  }
  const lines = [
    `erasure ${receipt.erasure_id}${receipt.dry_run ? ' (dry run: nothing changed)' : ''} — by ${receipt.field}`,
    `  objects scanned           ${receipt.objects_scanned}`,
    `  objects rewritten         ${receipt.objects_rewritten}`,
    `  rows removed              ${receipt.rows_removed}`,
    `  older versions deleted    ${receipt.versions_deleted} (bucket versioning: ${receipt.versioning})`,
    `  dedup event ids deleted   ${receipt.dedup_event_ids}`,
    `  derived objects deleted   ${receipt.derived_objects_deleted.length} (curated and features; rebuilt by the next training run)`,
    `  predictions removed       ${receipt.prediction_rows_removed} (captured for their sessions)`,
    `  model versions flagged    ${receipt.models_flagged.map((m) => `${m.model_name} ${m.version}`).join(', ') || 'none'}`,
    ...(receipt.receipt_key ? [`  receipt                   ${receipt.receipt_key}`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
});
