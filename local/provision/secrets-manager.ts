import { LocalSecretsManager } from '../secrets-manager';
import type { Provisioner } from './types';

/** A string secret; GenerateSecretString makes a random one (letters and digits), as CloudFormation does, once. */
export const secretsManagerSecret: Provisioner = {
  type: 'AWS::SecretsManager::Secret',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'Name');
    const arn = ctx.services.secretsManager.arnOf(name);
    return { ref: arn, attributes: { Id: arn } };
  },
  create: (id, { Properties: props = {} }, ctx) => {
    const name = ctx.nameOf(id, 'Name');
    // A secret the data directory kept from an earlier run stays: a new key would break every join with older rows.
    if (ctx.services.secretsManager.exists(name)) return;
    const generate = props.GenerateSecretString as { PasswordLength?: number } | undefined;
    const value = typeof props.SecretString === 'string' ? props.SecretString : LocalSecretsManager.generate(generate?.PasswordLength ?? 32);
    ctx.services.secretsManager.operations.CreateSecret({ Name: name, SecretString: value });
  },
};
