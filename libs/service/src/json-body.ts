import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import { ProblemException } from './problem';

const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

const refuse = (status: number, detail: string) => new ProblemException(status, detail);

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * Reads a body of at most `limit` bytes (after decompression). A declared Content-Length over
 * the limit is refused before a byte is read, a chunked body as soon as it passes the limit;
 * either way the rest is not read (hangUpOnUnreadBody closes the connection after the answer).
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (!ENCODINGS.has(encoding)) return Promise.reject(refuse(415, `Content-Encoding '${encoding.slice(0, 64)}' is not supported; use gzip, deflate or none`));
  const tooLarge = () => refuse(413, `request body is larger than the limit of ${limit} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  const inflater: Transform | null = encoding === 'identity' ? null : encoding === 'gzip' ? createGunzip() : createInflate();
  if (inflater) req.pipe(inflater);
  const source: Readable = inflater ?? req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (e: ProblemException | null) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (e === null) {
        resolve(Buffer.concat(chunks, total));
        return;
      }
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      req.pause();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => finish(null));
    source.once('error', (e: Error) => finish(refuse(400, `the body could not be read: ${e.message}`)));
    req.once('close', () => {
      if (!req.complete) finish(refuse(400, 'the client closed the request before its body was complete'));
    });
  });
}

/**
 * Express middleware for the services' small JSON bodies, in place of body-parser, which reads
 * a refused body to its end before answering (so a client announcing 1 GiB held the request
 * open until it sent it all or timed out), takes UTF-16 and replaces bytes that are not UTF-8
 * with U+FFFD. Here: `application/json` in UTF-8 only (another charset is 415, bytes that are
 * not UTF-8 are 400), gzip or deflate allowed, at most `limit` bytes after decompression.
 * Bodies of other types are left unread, for the handler to refuse; an empty body is `{}`.
 */
export function jsonBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const [type = '', ...params] = String(req.headers['content-type'] ?? '').split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/json') {
      next();
      return;
    }
    const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(refuse(415, `charset '${charset.slice(0, 64)}' is not supported; send UTF-8`));
      return;
    }
    readLimited(req, limit).then(
      (body) => {
        if (!isUtf8(body)) return next(refuse(400, 'body is not valid UTF-8'));
        try {
          req.body = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch (e) {
          return next(refuse(400, `body is not JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`));
        }
        next();
      },
      (e: unknown) => next(e),
    );
  };
}
