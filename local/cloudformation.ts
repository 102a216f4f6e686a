import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface LocalStack {
  name: string;
  createdAt: Date;
  outputs: () => Record<string, string>;
}

/**
 * CloudFormation's DescribeStacks for the one stack the local cloud runs (AWS Query protocol: a form-encoded
 * request, an XML answer), so what reads a deployed stack's outputs — `npm run test:deployed` — reads the local
 * one through the same call. Other operations answer as AWS does to an action it does not know.
 */
export class LocalCloudFormation {
  constructor(
    private readonly region: string,
    private readonly account: string,
    private readonly stack: LocalStack,
  ) {}

  readonly handle = async (_req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> => {
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action');
    if (action !== 'DescribeStacks') return this.error(res, 400, 'InvalidAction', `The action ${action ?? '(none)'} is not valid for this local endpoint.`);
    const name = params.get('StackName');
    const { stack } = this;
    const stackId = `arn:aws:cloudformation:${this.region}:${this.account}:stack/${stack.name}/00000000-0000-4000-8000-000000000000`;
    if (name !== null && name !== stack.name && name !== stackId) return this.error(res, 400, 'ValidationError', `Stack with id ${name} does not exist`);
    const outputs = Object.entries(stack.outputs())
      .map(([key, value]) => `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`)
      .join('');
    this.send(
      res,
      200,
      `<DescribeStacksResponse xmlns="${NAMESPACE}"><DescribeStacksResult><Stacks><member><StackName>${xml(stack.name)}</StackName><StackId>${xml(stackId)}</StackId><CreationTime>${stack.createdAt.toISOString()}</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  };

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    this.send(
      res,
      status,
      `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  }

  private send(res: ServerResponse, status: number, text: string): void {
    const payload = Buffer.from(text);
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': payload.length, 'x-amzn-requestid': randomUUID() });
    res.end(payload);
  }
}
