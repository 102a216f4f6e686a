import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { getObjectBytes, listObjects } from '#adapters/s3';

/**
 * After `npm start` has sent its traffic: every object of the lake (gunzipped, bad rows' and error records'
 * base64 payloads decoded) and every function log line, searched for what must never be stored — the ids the
 * traffic sent and the client IPs it came from. Each JSON string in them is compared whole, so an id is found
 * wherever it sits; an IPv4 address anywhere in the text.
 */

export interface PersonalData {
  ids: ReadonlySet<string>;
  ips: readonly string[];
}

export interface PrivacyScan {
  objects: number;
  logLines: number;
  findings: { where: string; found: string }[];
}

const STRINGS = /"((?:[^"\\\n]|\\.)*)"/g;
const BASE64_FIELDS = /"(?:payload_base64|rawData)":"([A-Za-z0-9+/=]+)"/g;

const text = (bytes: Buffer) => (bytes.length > 1 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');

/** What was found (an IP, or "an id"; the id itself is not repeated), or undefined. */
function findIn(content: string, what: PersonalData, depth = 0): string | undefined {
  for (const ip of what.ips) if (ip.includes('.') ? content.includes(ip) : content.includes(`"${ip}"`)) return `client IP ${ip}`;
  for (const [, value] of content.matchAll(STRINGS)) if (what.ids.has(value!)) return 'an id as sent';
  if (depth > 1) return undefined;
  for (const [, b64] of content.matchAll(BASE64_FIELDS)) {
    const found = findIn(text(Buffer.from(b64!, 'base64')), what, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export async function scanForPersonalData(bucket: string, logFiles: readonly string[], what: PersonalData): Promise<PrivacyScan> {
  const scan: PrivacyScan = { objects: 0, logLines: 0, findings: [] };
  for (const { key } of await listObjects(bucket, '')) {
    scan.objects++;
    const found = findIn(text(await getObjectBytes(bucket, key)), what);
    if (found) scan.findings.push({ where: `s3://${bucket}/${key}`, found });
  }
  for (const file of logFiles.filter((f) => existsSync(f))) {
    for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
      if (line.length === 0) continue;
      scan.logLines++;
      const found = findIn(line, what);
      if (found) scan.findings.push({ where: `${file}:${i + 1}`, found });
    }
  }
  return scan;
}
