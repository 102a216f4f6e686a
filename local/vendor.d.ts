// Minimal types for the emulators the local cloud embeds (they ship none).
declare module 'kinesalite' {
  import type { Server } from 'node:http';
  export default function kinesalite(options?: Record<string, unknown>): Server;
}
declare module 'dynalite' {
  import type { Server } from 'node:http';
  export default function dynalite(options?: Record<string, unknown>): Server;
}
declare module 's3rver' {
  export default class S3rver {
    constructor(options: Record<string, unknown>);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
