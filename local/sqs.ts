import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { AwsJsonError, jsonProtocolService } from './aws-json';

interface Message {
  MessageId: string;
  ReceiptHandle: string;
  Body: string;
  MD5OfBody: string;
  SentTimestamp: number;
  invisibleUntil: number;
  receiveCount: number;
}

interface Queue {
  name: string;
  attributes: Record<string, string>;
  messages: Message[];
}

/**
 * A small SQS (JSON protocol) for what this project needs: the ingest function's on-failure destination,
 * inspected with the SDK or `aws sqs receive-message`. Queues and messages persist in one JSON file.
 */
export class LocalSqs {
  private queues = new Map<string, Queue>();

  constructor(
    private readonly file: string,
    private readonly baseUrl: () => string,
    private readonly region: string,
    private readonly account: string,
  ) {
    try {
      for (const q of JSON.parse(readFileSync(file, 'utf8')) as Queue[]) this.queues.set(q.name, q);
    } catch {
      // No saved state yet.
    }
  }

  private save(): void {
    writeFileSync(this.file, JSON.stringify([...this.queues.values()]));
  }

  arn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.account}:${name}`;
  }

  url(name: string): string {
    return `${this.baseUrl()}/${this.account}/${name}`;
  }

  createQueue(name: string, attributes: Record<string, string> = {}): string {
    if (!this.queues.has(name)) {
      this.queues.set(name, { name, attributes, messages: [] });
      this.save();
    }
    return this.url(name);
  }

  send(name: string, body: string): string {
    const queue = this.queue(name);
    const message: Message = {
      MessageId: randomUUID(),
      ReceiptHandle: randomUUID(),
      Body: body,
      MD5OfBody: createHash('md5').update(body).digest('hex'),
      SentTimestamp: Date.now(),
      invisibleUntil: 0,
      receiveCount: 0,
    };
    queue.messages.push(message);
    this.save();
    return message.MessageId;
  }

  private queue(nameOrUrl: string): Queue {
    const name = nameOrUrl.split('/').pop() ?? nameOrUrl;
    const queue = this.queues.get(name);
    if (!queue) throw new AwsJsonError('AWS.SimpleQueueService.NonExistentQueue', `The specified queue ${name} does not exist.`);
    return queue;
  }

  readonly handle = jsonProtocolService(
    'SQS',
    {
      CreateQueue: ({ QueueName, Attributes }: { QueueName: string; Attributes?: Record<string, string> }) => ({
        QueueUrl: this.createQueue(QueueName, Attributes),
      }),
      GetQueueUrl: ({ QueueName }: { QueueName: string }) => ({ QueueUrl: this.url(this.queue(QueueName).name) }),
      ListQueues: ({ QueueNamePrefix }: { QueueNamePrefix?: string }) => ({
        QueueUrls: [...this.queues.keys()].filter((n) => n.startsWith(QueueNamePrefix ?? '')).map((n) => this.url(n)),
      }),
      GetQueueAttributes: ({ QueueUrl }: { QueueUrl: string }) => {
        const q = this.queue(QueueUrl);
        const now = Date.now();
        return {
          Attributes: {
            ...q.attributes,
            QueueArn: this.arn(q.name),
            ApproximateNumberOfMessages: String(q.messages.filter((m) => m.invisibleUntil <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => m.invisibleUntil > now).length),
          },
        };
      },
      SendMessage: ({ QueueUrl, MessageBody }: { QueueUrl: string; MessageBody: string }) => {
        const q = this.queue(QueueUrl);
        const id = this.send(q.name, MessageBody);
        return { MessageId: id, MD5OfMessageBody: createHash('md5').update(MessageBody).digest('hex') };
      },
      ReceiveMessage: ({
        QueueUrl,
        MaxNumberOfMessages,
        VisibilityTimeout,
      }: {
        QueueUrl: string;
        MaxNumberOfMessages?: number;
        VisibilityTimeout?: number;
      }) => {
        const q = this.queue(QueueUrl);
        const now = Date.now();
        const visible = q.messages.filter((m) => m.invisibleUntil <= now).slice(0, MaxNumberOfMessages ?? 1);
        for (const m of visible) {
          m.invisibleUntil = now + (VisibilityTimeout ?? 30) * 1000;
          m.receiveCount += 1;
          m.ReceiptHandle = randomUUID();
        }
        this.save();
        return { Messages: visible.map(({ MessageId, ReceiptHandle, Body, MD5OfBody }) => ({ MessageId, ReceiptHandle, Body, MD5OfBody })) };
      },
      DeleteMessage: ({ QueueUrl, ReceiptHandle }: { QueueUrl: string; ReceiptHandle: string }) => {
        const q = this.queue(QueueUrl);
        q.messages = q.messages.filter((m) => m.ReceiptHandle !== ReceiptHandle);
        this.save();
        return {};
      },
      PurgeQueue: ({ QueueUrl }: { QueueUrl: string }) => {
        this.queue(QueueUrl).messages = [];
        this.save();
        return {};
      },
    },
    'application/x-amz-json-1.0',
  );
}
