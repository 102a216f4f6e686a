import { AliasConflictError, movedBy, previousVersion, PRODUCTION_ALIAS, type AliasRecord, type AliasRouting } from '#domain/registry';
import type { GateDecision, RunIdentity } from '#domain/training';
import { ModelUnavailableError, type AliasTarget, type ServableModel } from '#domain/serving';
import type { TrainedModel } from '#domain/model/training-run';
import { ArtifactIntegrityError, getArtifact } from './model-artifacts';
import { getAlias, getModelVersion, putRunRecord, setAlias } from './registry-table';
import { ClickstreamError } from '#shared/errors';

export class NothingToRollBackError extends ClickstreamError {}

/** The registry as the predict function reads it: where an alias points, and a verified, loadable version. */
export const registryReader = (tableName: string) => ({
  aliasTarget: async (model: string, alias: string): Promise<AliasTarget | undefined> => {
    const record = await getAlias(tableName, model, alias);
    return (
      record && {
        version: record.version,
        ...(record.canary ? { canary: record.canary } : {}),
        ...(record.shadow ? { shadow: record.shadow } : {}),
        ...(record.endpoint ? { endpoint: record.endpoint } : {}),
      }
    );
  },
  load: async (model: string, version: string): Promise<ServableModel> => {
    const entry = await getModelVersion(tableName, model, version);
    const unavailable = `Model ${model} cannot be served right now; try again later or use another alias.`;
    if (!entry)
      throw new ModelUnavailableError(`Model ${model} ${version} is not in the registry (an alias points at a missing version).`, {
        publicMessage: unavailable,
      });
    let artifact: { model?: TrainedModel };
    try {
      artifact = (await getArtifact(entry.artifact)) as { model?: TrainedModel };
    } catch (error) {
      if (error instanceof ArtifactIntegrityError)
        throw new ModelUnavailableError(`Model ${model} ${version} cannot be loaded: ${error.message}`, { cause: error, publicMessage: unavailable });
      throw error;
    }
    const trained = artifact.model;
    if (!trained || (trained.kind !== 'gbdt' && trained.kind !== 'logistic_regression') || !Array.isArray(trained.featureNames)) {
      throw new ModelUnavailableError(`Model ${model} ${version}'s artifact holds no model this code can run.`, { publicMessage: unavailable });
    }
    return { name: model, version, model: trained };
  },
});

/** What a rollback did: the alias record after it, the version it left, and the routing it ended. */
export interface Rollback {
  record: AliasRecord;
  from: string;
  ended_routing: AliasRouting;
}

/**
 * Sets an alias back to the version it pointed at before its last version move (one step, like `cd -`; canary,
 * shadow and endpoint changes in between are passed over), recorded in its history. The move ends any routing
 * on the alias (a canary or shadow compared against the version left; an endpoint hosting it).
 */
export async function rollbackAlias(tableName: string, model: string, alias: string = PRODUCTION_ALIAS, by: string, reason: string): Promise<Rollback> {
  const current = await getAlias(tableName, model, alias);
  const previous = current && previousVersion(current.history);
  if (!current || !previous) throw new NothingToRollBackError(`${model} alias "${alias}" has no earlier version to go back to.`);
  const record = await setAlias(tableName, model, alias, { to: previous, expected: current.version, by, reason: `rollback: ${reason}` });
  const ended_routing: AliasRouting = {
    ...(current.canary ? { canary: current.canary } : {}),
    ...(current.shadow ? { shadow: current.shadow } : {}),
    ...(current.endpoint ? { endpoint: current.endpoint } : {}),
  };
  return { record, from: current.version, ended_routing };
}

/**
 * The training workflow's promotion: moves `production` to the run's version, only if it still points at the
 * version the gate compared against, and records the run as promoted. Safe to repeat (a Step Functions retry, or
 * a retry after the run record failed to write): finding the alias already moved to this version by this run is
 * success, not a conflict. Returns whether this call moved it.
 */
export async function promoteRun(tableName: string, run: RunIdentity, gate: GateDecision): Promise<{ moved: boolean; previous: string | null }> {
  const by = `training-workflow/${run.run_id}`;
  const previous = gate.production?.version ?? null;
  let at: string;
  let moved = true;
  try {
    const alias = await setAlias(tableName, run.model_name, PRODUCTION_ALIAS, {
      to: run.version,
      expected: previous,
      by,
      reason: `evaluation gate passed: test ROC-AUC ${gate.candidate.roc_auc.toFixed(3)}, ECE ${gate.candidate.ece.toFixed(3)}${gate.production ? ` (production ${gate.production.roc_auc.toFixed(3)})` : ''}`,
    });
    at = alias.updated_at;
  } catch (error) {
    if (!(error instanceof AliasConflictError)) throw error;
    const current = await getAlias(tableName, run.model_name, PRODUCTION_ALIAS);
    if (current?.version !== run.version || !movedBy(current.history, run.version, by)) throw error;
    moved = false;
    at = current.history.findLast((h) => h.by === by && h.to === run.version)?.at ?? current.updated_at;
  }
  await putRunRecord(tableName, { model_name: run.model_name, run_id: run.run_id, outcome: 'promoted', at, version: run.version, from: run.from, to: run.to });
  return { moved, previous };
}
