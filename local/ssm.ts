import { AwsJsonError, jsonProtocolService } from './aws-json';

interface Parameter {
  name: string;
  value: string;
  type: string;
  version: number;
  lastModified: Date;
}

/**
 * A local Systems Manager Parameter Store (String / StringList parameters): what the template declares is
 * created at boot, PutParameter changes it (kept until the local cloud restarts). The API keys' hashes live here.
 */
export class LocalSsm {
  private readonly parameters = new Map<string, Parameter>();

  constructor(
    private readonly region: string,
    private readonly account: string,
  ) {}

  private shape(p: Parameter) {
    return {
      Name: p.name,
      Type: p.type,
      Value: p.value,
      Version: p.version,
      LastModifiedDate: p.lastModified.getTime() / 1000,
      ARN: `arn:aws:ssm:${this.region}:${this.account}:parameter/${p.name.replace(/^\//, '')}`,
      DataType: 'text',
    };
  }

  readonly operations = {
    PutParameter: ({ Name, Value, Type, Overwrite }: { Name: string; Value: string; Type?: string; Overwrite?: boolean }) => {
      if (typeof Name !== 'string' || Name.length === 0 || typeof Value !== 'string' || Value.length === 0) {
        throw new AwsJsonError('ValidationException', 'Name and Value must be non-empty strings.');
      }
      const existing = this.parameters.get(Name);
      if (existing && !Overwrite) throw new AwsJsonError('ParameterAlreadyExists', `The parameter ${Name} already exists.`);
      const version = (existing?.version ?? 0) + 1;
      this.parameters.set(Name, { name: Name, value: Value, type: Type ?? existing?.type ?? 'String', version, lastModified: new Date() });
      return { Version: version, Tier: 'Standard' };
    },
    GetParameter: ({ Name }: { Name: string }) => {
      const parameter = this.parameters.get(Name);
      if (!parameter) throw new AwsJsonError('ParameterNotFound', `Parameter ${Name} not found.`);
      return { Parameter: this.shape(parameter) };
    },
    GetParameters: ({ Names }: { Names: string[] }) => {
      if (!Array.isArray(Names) || Names.length === 0 || Names.length > 10) throw new AwsJsonError('ValidationException', 'Names must hold 1 to 10 names.');
      const found = Names.flatMap((n) => (this.parameters.has(n) ? [this.shape(this.parameters.get(n)!)] : []));
      return { Parameters: found, InvalidParameters: Names.filter((n) => !this.parameters.has(n)) };
    },
  };

  readonly handle = jsonProtocolService('SSM', this.operations);
}
