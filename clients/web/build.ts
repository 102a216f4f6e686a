import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const entry = path.join(__dirname, 'src', 'index.ts');

export interface TrackerBuild {
  /** The ES module (`import * as clickstream from …`). */
  esm: string;
  /** The classic script that sets `window.clickstream`. */
  iife: string;
  /** The IIFE's size, minified and gzipped: the budget is 5 KB. */
  minGzipBytes: number;
}

/** Builds the tracker (minified, for browsers since 2020) in memory: what the local cloud serves and `npm run build:tracker` writes. */
export async function buildTracker(): Promise<TrackerBuild> {
  const bundle = async (format: 'esm' | 'iife') => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format,
      ...(format === 'iife' ? { globalName: 'clickstream' } : {}),
      target: ['es2020'],
      platform: 'browser',
      write: false,
      legalComments: 'none',
    });
    return result.outputFiles[0]!.text;
  };
  const [esm, iife] = await Promise.all([bundle('esm'), bundle('iife')]);
  return { esm, iife, minGzipBytes: gzipSync(iife, { level: 9 }).length };
}

/** Writes clients/web/dist/clickstream.mjs and clickstream.min.js: the files to host on your own site or CDN. */
export async function writeTracker(outDir = path.join(__dirname, 'dist')): Promise<TrackerBuild & { files: string[] }> {
  const built = await buildTracker();
  mkdirSync(outDir, { recursive: true });
  const files = [path.join(outDir, 'clickstream.mjs'), path.join(outDir, 'clickstream.min.js')];
  writeFileSync(files[0]!, built.esm);
  writeFileSync(files[1]!, built.iife);
  return { ...built, files };
}
