import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { BodyRefusal, readBody } from './request-body';

/** A request as readBody sees it: headers, and a body that arrives in the given chunks. */
function request(headers: Record<string, string>, chunks: Buffer[]): IncomingMessage {
  const req = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(req, { headers, complete: false });
  setImmediate(() => {
    for (const c of chunks) req.write(c);
    (req as { complete: boolean }).complete = true;
    req.end();
  });
  return req;
}

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof BodyRefusal ? [e.reason, e.getStatus()] : e),
  );

describe('readBody', () => {
  it('reads a body in chunks, and a gzipped one inflated', async () => {
    expect((await readBody(request({}, [Buffer.from('[1,'), Buffer.from('2]')]), 100)).toString()).toBe('[1,2]');
    expect((await readBody(request({ 'content-encoding': 'gzip' }, [gzipSync('{"a":1}')]), 100)).toString()).toBe(
      '{"a":1}',
    );
  });

  it('refuses a declared length over the limit before reading, and a body that passes it as it arrives', async () => {
    expect(await refusal(readBody(request({ 'content-length': '101' }, []), 100))).toEqual(['too_large', 413]);
    expect(await refusal(readBody(request({}, [Buffer.alloc(60), Buffer.alloc(60)]), 100))).toEqual(['too_large', 413]);
  });

  it('counts the limit after decompression: a small gzip bomb is too large', async () => {
    expect(
      await refusal(readBody(request({ 'content-encoding': 'gzip' }, [gzipSync(Buffer.alloc(10_000))]), 1000)),
    ).toEqual(['too_large', 413]);
  });

  it('refuses an encoding it does not know (415), and a body that is not the gzip it claims (400)', async () => {
    expect(await refusal(readBody(request({ 'content-encoding': 'br' }, []), 100))).toEqual([
      'unsupported_encoding',
      415,
    ]);
    expect(await refusal(readBody(request({ 'content-encoding': 'gzip' }, [Buffer.from('plain')]), 100))).toEqual([
      'unreadable_body',
      400,
    ]);
  });
});
