import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** The packaged CloudFormation template (`sls package --stage local`): the one list of what to create. */
export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, any> }>;
  Outputs?: Record<string, { Value: unknown }>;
}

export const ACCOUNT_ID = '000000000000';

/** `--param=name=value` arguments for sls: stage params set for this run. */
export const paramArgs = (params: Record<string, string> = {}): string[] => Object.entries(params).map(([k, v]) => `--param=${k}=${v}`);

export async function packageTemplate(root: string, outDir: string, env: NodeJS.ProcessEnv, params?: Record<string, string>): Promise<Template> {
  const sls = path.join(root, 'node_modules', '.bin', 'sls');
  try {
    await promisify(execFile)(sls, ['package', '--stage', 'local', '--package', outDir, ...paramArgs(params)], {
      cwd: root,
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
      killSignal: 'SIGKILL',
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: string };
    if (e.code === 'ENOENT') throw new Error('`sls` is not installed: run `npm install` first.', { cause: error });
    throw new Error(`\`sls package --stage local\` failed; fix serverless.yml and retry:\n${e.stdout ?? ''}${e.stderr ?? ''}`, { cause: error });
  }
  return JSON.parse(await readFile(path.join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}

/** Physical names and ARNs of the resources the local cloud created, for Ref and Fn::GetAtt. */
export interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

/** Resolves the intrinsic functions the template uses (Ref, Fn::GetAtt, Fn::Sub, Fn::Join) against local resources. */
export class IntrinsicResolver {
  constructor(
    private readonly template: Template,
    private readonly physical: Map<string, PhysicalResource>,
    private readonly pseudo: Record<string, string>,
  ) {}

  resolve(value: unknown): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0]!;
      switch (key) {
        case 'Ref':
          return this.ref(arg as string);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(arg) ? (arg as string[]) : (arg as string).split('.');
          return this.getAtt(logicalId!, attribute!);
        }
        case 'Fn::Sub':
          return this.sub(arg as string | [string, Record<string, unknown>]);
        case 'Fn::Join': {
          const [delimiter, list] = arg as [string, unknown[]];
          return (this.resolve(list) as unknown[]).join(delimiter);
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  private ref(name: string): string {
    if (name in this.pseudo) return this.pseudo[name]!;
    const resource = this.physical.get(name);
    if (!resource) throw new Error(`Ref to ${name}: the local cloud did not create it (type ${this.template.Resources[name]?.Type ?? 'unknown'}).`);
    return resource.ref;
  }

  private getAtt(logicalId: string, attribute: string): string {
    const value = this.physical.get(logicalId)?.attributes[attribute];
    if (value === undefined) throw new Error(`Fn::GetAtt ${logicalId}.${attribute} is not known to the local cloud.`);
    return value;
  }

  private sub(arg: string | [string, Record<string, unknown>]): string {
    const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
    return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(vars[name]));
      const [logicalId, attribute] = name.split('.');
      return attribute === undefined ? this.ref(logicalId!) : this.getAtt(logicalId!, attribute);
    });
  }
}
