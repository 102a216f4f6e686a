import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import net from 'node:net';
import { sleep } from '#shared/retry';

/** Something the local cloud stops when it stops (servers, clients, files), in reverse order of start. */
export interface Closable {
  close(): Promise<void>;
}

export class LocalCloudError extends Error {
  override name = 'LocalCloudError';
}

export const listen = (server: Server | net.Server, port: number, what: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalCloudError(
              `Port ${port} (${what}) is in use. Is the local cloud already running? Stop it, or pick another port (see \`npm run local -- --help\`).`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });

export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server, 0, 'probe');
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Until a child process opens a port; its exit, or the deadline, is an error that points at its log. */
export async function waitForPort(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new LocalCloudError(`serverless-offline exited (code ${child.exitCode}); see ${logFile}.`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(200);
  }
  throw new LocalCloudError(`serverless-offline did not open port ${port} within ${timeoutMs / 1000}s; see ${logFile}.`);
}

export function closeServer(server: Server): Closable {
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
