import { jsonDepthExceeds, parseJsonBody, type HttpEvent } from '#shared/http';
import { RequestError } from '#shared/errors';

const request = (body: Buffer | string, contentType = 'application/json'): HttpEvent =>
  ({
    headers: { 'content-type': contentType },
    body: Buffer.isBuffer(body) ? body.toString('base64') : body,
    isBase64Encoded: Buffer.isBuffer(body),
  }) as unknown as HttpEvent;

const refusal = (event: HttpEvent) => {
  try {
    parseJsonBody(event, 1_000_000);
  } catch (error) {
    if (error instanceof RequestError) return { status: error.statusCode, message: error.message };
    throw error;
  }
  return undefined;
};

describe('parseJsonBody', () => {
  it('refuses nesting deeper than the limit before parsing (serializing it again would overflow the stack)', () => {
    expect(refusal(request('['.repeat(300_000) + ']'.repeat(300_000)))).toEqual({ status: 400, message: expect.stringMatching(/deeper than 32/) });
    expect(refusal(request(`${'['.repeat(32)}${']'.repeat(32)}`))).toBeUndefined();
    // Brackets inside strings do not count.
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ s: '['.repeat(100), t: 'a\\"[[[' })), 2)).toBe(false);
  });

  it('refuses a body that is not UTF-8 (each invalid byte would grow into a 3-byte replacement character)', () => {
    expect(refusal(request(Buffer.concat([Buffer.from('{"a":"'), Buffer.alloc(1000, 0xff), Buffer.from('"}')])))).toEqual({
      status: 400,
      message: expect.stringMatching(/UTF-8/),
    });
  });

  it('keeps messages short whatever the body', () => {
    expect(refusal(request(`{"a": ${'x'.repeat(100_000)}`))!.message.length).toBeLessThan(300);
    expect(refusal(request('{}', `text/${'x'.repeat(10_000)}`))!.message.length).toBeLessThan(200);
  });

  it('reads a body a gateway handed over as a parsed falsy value (serverless-offline does for false and 0)', () => {
    const event = (body: unknown) => ({ headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false }) as unknown as HttpEvent;
    expect(parseJsonBody(event(false), 100)).toBe(false);
    expect(parseJsonBody(event(0), 100)).toBe(0);
    expect(refusal(event(null))).toEqual({ status: 400, message: expect.stringMatching(/empty/) });
  });
});
