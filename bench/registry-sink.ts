import { marshall } from '@aws-sdk/util-dynamodb';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An in-process stand-in for the models table's GetItem, holding one model's items (alias and inline
 * versions), so the predict benchmark measures the handler, not a database.
 */
export async function startRegistrySink(items: Record<string, unknown>[]): Promise<{ url: string; close: () => Promise<void> }> {
  const byKey = new Map(items.map((i) => [`${i.model_name as string}|${i.sk as string}`, marshall(i, { removeUndefinedValues: true })]));
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Anything but a GetItem (the cold-start baseline's bare request) finds no item.
      const { Key } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Key?: { model_name: { S: string }; sk: { S: string } } };
      const item = Key ? byKey.get(`${Key.model_name.S}|${Key.sk.S}`) : undefined;
      const payload = JSON.stringify(item ? { Item: item } : {});
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
