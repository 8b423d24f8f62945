import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import { Refusal } from './refusal';

const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

const tooLarge = (limit: number) => new Refusal('too_large', 413, `request body is larger than the limit of ${limit} bytes`);

/**
 * Reads a request body of at most `limit` bytes (after decompression, so a small gzip bomb
 * cannot expand past it). A declared Content-Length over the limit is refused before a byte
 * is read; a chunked body is refused, and no longer read, as soon as it passes the limit
 * (hangUpOnUnreadBody, in @metering/service, then closes the connection).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!ENCODINGS.has(encoding)) {
    return Promise.reject(new Refusal('unsupported_encoding', 415, `Content-Encoding '${encoding}' is not supported; use gzip, deflate or none`));
  }
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > limit) {
    return Promise.reject(tooLarge(limit));
  }
  const inflater: Transform | null = encoding === 'identity' ? null : encoding === 'gzip' ? createGunzip() : createInflate();
  if (inflater) req.pipe(inflater);
  const source: Readable = inflater ?? req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const stop = () => {
      source.off('data', onData);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      req.pause();
    };
    const finish = (e: Refusal | null) => {
      if (settled) return;
      settled = true;
      source.off('end', onEnd);
      if (e) {
        stop();
        reject(e);
      } else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) finish(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(null);
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', (e: Error) => finish(new Refusal('unreadable_body', 400, `the body could not be read: ${e.message}`)));
    req.once('close', () => {
      if (!req.complete) finish(new Refusal('unreadable_body', 400, 'the client closed the request before its body was complete'));
    });
  });
}

/**
 * Answers "Expect: 100-continue" so that a host announcing a body over the limit is refused
 * before it sends any of it; every other request is told to go on and then handled as usual.
 */
export function refuseOversizeBeforeContinue(server: Server, limit: number): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Without "100 Continue" the request still runs (auth first, then the body reader refuses
    // it from Content-Length alone), and the host, never told to continue, never sends the body.
    if (!(Number(req.headers['content-length'] ?? 0) > limit)) res.writeContinue();
    server.emit('request', req, res);
  });
}
