import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AwsJsonError, jsonProtocolService } from './aws-json';

interface Secret {
  name: string;
  arn: string;
  versionId: string;
  value: string;
  /** The value before the last PutSecretValue (AWSPREVIOUS), kept for a rotation's overlap. */
  previous?: { versionId: string; value: string };
  created: number;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A local Secrets Manager (string secrets): CreateSecret, GetSecretValue by name or ARN, PutSecretValue (a rotation:
 * the old value becomes AWSPREVIOUS). Kept in the data directory, so a key survives a restart of the local cloud as it survives on AWS.
 */
export class LocalSecretsManager {
  private readonly secrets = new Map<string, Secret>();

  constructor(
    private readonly file: string,
    private readonly region: string,
    private readonly account: string,
  ) {
    if (existsSync(file)) for (const s of JSON.parse(readFileSync(file, 'utf8')) as Secret[]) this.secrets.set(s.name, s);
  }

  private save(): void {
    writeFileSync(this.file, JSON.stringify([...this.secrets.values()]));
  }

  /** By name or ARN, as the API takes a SecretId. */
  private find(secretId: string): Secret {
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
    if (!secret) throw new AwsJsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** The ARN of a secret of this name: AWS adds six random characters; here they come from the name (stable across restarts). */
  arnOf(name: string): string {
    return `arn:aws:secretsmanager:${this.region}:${this.account}:secret:${name}-${createHash('sha256').update(name).digest('base64url').slice(0, 6)}`;
  }

  /** What CloudFormation's GenerateSecretString makes with ExcludePunctuation: letters and digits, `length` of them. */
  static generate(length: number): string {
    return Array.from(randomBytes(length), (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
  }

  exists(name: string): boolean {
    return this.secrets.has(name);
  }

  readonly operations = {
    CreateSecret: ({ Name, SecretString }: { Name: string; SecretString: string }) => {
      if (typeof Name !== 'string' || Name.length === 0) throw new AwsJsonError('ValidationException', 'Name must be a non-empty string.');
      if (typeof SecretString !== 'string' || SecretString.length === 0)
        throw new AwsJsonError('ValidationException', 'SecretString must be a non-empty string.');
      if (this.secrets.has(Name)) throw new AwsJsonError('ResourceExistsException', `The operation failed because the secret ${Name} already exists.`);
      const secret: Secret = { name: Name, arn: this.arnOf(Name), versionId: randomUUID(), value: SecretString, created: Date.now() };
      this.secrets.set(Name, secret);
      this.save();
      return { ARN: secret.arn, Name, VersionId: secret.versionId };
    },
    GetSecretValue: ({ SecretId, VersionStage }: { SecretId: string; VersionStage?: string }) => {
      const secret = this.find(SecretId);
      const previous = VersionStage === 'AWSPREVIOUS';
      if (previous && !secret.previous) throw new AwsJsonError('ResourceNotFoundException', `Secret ${secret.name} has no AWSPREVIOUS version.`);
      const version = previous ? secret.previous! : { versionId: secret.versionId, value: secret.value };
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.value,
        VersionStages: [previous ? 'AWSPREVIOUS' : 'AWSCURRENT'],
        CreatedDate: secret.created / 1000,
      };
    },
    PutSecretValue: ({ SecretId, SecretString }: { SecretId: string; SecretString: string }) => {
      if (typeof SecretString !== 'string' || SecretString.length === 0)
        throw new AwsJsonError('ValidationException', 'SecretString must be a non-empty string.');
      const secret = this.find(SecretId);
      secret.previous = { versionId: secret.versionId, value: secret.value };
      secret.versionId = randomUUID();
      secret.value = SecretString;
      this.save();
      return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
    },
  };

  readonly handle = jsonProtocolService('SecretsManager', this.operations);
}
