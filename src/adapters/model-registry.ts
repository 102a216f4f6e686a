import { PRODUCTION_ALIAS, type AliasRecord } from '../domain/registry';
import { ModelUnavailableError, type AliasTarget, type ServableModel } from '../domain/serving';
import type { TrainedModel } from '../domain/model/training-run';
import { ArtifactIntegrityError, getArtifact } from './model-artifacts';
import { getAlias, getModelVersion, setAlias } from './models-table';
import { ClickstreamError } from '../shared/errors';

export class NothingToRollBackError extends ClickstreamError {}

/** The registry as the predict function reads it: where an alias points, and a verified, loadable version. */
export const registryReader = (tableName: string) => ({
  aliasTarget: async (model: string, alias: string): Promise<AliasTarget | undefined> => {
    const record = await getAlias(tableName, model, alias);
    return record && { version: record.version, ...(record.canary ? { canary: record.canary } : {}), ...(record.shadow ? { shadow: record.shadow } : {}), ...(record.endpoint ? { endpoint: record.endpoint } : {}) };
  },
  load: async (model: string, version: string): Promise<ServableModel> => {
    const entry = await getModelVersion(tableName, model, version);
    if (!entry) throw new ModelUnavailableError(`Model ${model} ${version} is not in the registry (an alias points at a missing version).`);
    let artifact: { model?: TrainedModel };
    try {
      artifact = (await getArtifact(entry.artifact)) as { model?: TrainedModel };
    } catch (error) {
      if (error instanceof ArtifactIntegrityError) throw new ModelUnavailableError(`Model ${model} ${version} cannot be loaded: ${error.message}`, { cause: error });
      throw error;
    }
    const trained = artifact.model;
    if (!trained || (trained.kind !== 'gbdt' && trained.kind !== 'logistic_regression') || !Array.isArray(trained.featureNames)) {
      throw new ModelUnavailableError(`Model ${model} ${version}'s artifact holds no model this code can run.`);
    }
    return { name: model, version, model: trained };
  },
});

/** Sets an alias back to the version it pointed at before its last change (one step, like `cd -`), recorded in its history. */
export async function rollbackAlias(tableName: string, model: string, alias: string = PRODUCTION_ALIAS, by: string, reason: string): Promise<AliasRecord> {
  const current = await getAlias(tableName, model, alias);
  const previous = current?.history.at(-1)?.from;
  if (!current || !previous) throw new NothingToRollBackError(`${model} alias "${alias}" has no earlier version to go back to.`);
  return setAlias(tableName, model, alias, { to: previous, expected: current.version, by, reason: `rollback: ${reason}` });
}
