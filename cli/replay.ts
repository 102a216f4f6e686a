import { randomUUID } from 'node:crypto';
import { runCli } from '#shared/args';
import { resumeFrom } from './replay/checkpoint';
import { replayInCloud } from './replay/cloud';
import { dryRun } from './replay/dry-run';
import { replayOptions } from './replay/options';
import { replayObjectKeys, selectEvents } from './replay/read';
import { replayFromHere } from './replay/send';

/** `npm run replay`: re-drives archived events (usage in replay/options.ts). */
runCli(async () => {
  const options = await replayOptions();
  const say = (line: string) => (options.json ? undefined : process.stderr.write(`${line}\n`));
  const keys = await replayObjectKeys(options);
  if (options.cloud) {
    if (!(await replayInCloud(options, keys, say))) process.exit(1);
    return;
  }
  say(
    `replay: reading ${keys.length} objects of ${options.source}/ (${new Date(options.range.from).toISOString()} … ${new Date(options.range.to).toISOString()})`,
  );
  const selection = await selectEvents(options, keys);
  for (const bad of selection.stillBad.slice(0, 20))
    say(`  still invalid: ${bad.event_id ?? '(no event_id)'} in ${bad.key}: ${bad.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
  if (selection.stillBad.length > 20) say(`  … and ${selection.stillBad.length - 20} more (--json lists them all)`);

  const run = options.resume ? resumeFrom(options.checkpointFile, options.checkpointArgs, selection.selected) : { replayId: randomUUID(), skip: 0 };
  if (options.resume) say(`replay: resuming ${run.replayId}: ${run.skip} of ${selection.selected.length} events were acknowledged before`);
  if (options.dryRun) return dryRun(options, selection, run.replayId);
  const outcome = await replayFromHere(options, selection, run, say);
  if (outcome === 'interrupted') process.exit(130);
  if (outcome === 'failed') process.exit(1);
});
