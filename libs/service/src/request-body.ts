import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { NextFunction, Request, Response } from 'express';
import { ProblemException } from './problem';

const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

/** Why a body was refused before it was read: the collector counts refusals by it. */
export type BodyRefusalReason = 'unsupported_encoding' | 'too_large' | 'unreadable_body';

/** A body refused as it was read, as problem details, with the reason. */
export class BodyRefusal extends ProblemException {
  constructor(
    readonly reason: BodyRefusalReason,
    status: number,
    detail: string,
  ) {
    super(status, detail);
  }
}

const tooLarge = (limit: number) =>
  new BodyRefusal('too_large', 413, `request body is larger than the limit of ${limit} bytes`);

/**
 * Reads a request body of at most `limit` bytes (after decompression, so a small gzip bomb
 * cannot expand past it). A declared Content-Length over the limit is refused before a byte
 * is read; a chunked body is refused, and no longer read, as soon as it passes the limit
 * (hangUpOnUnreadBody then closes the connection). Refusals are BodyRefusals.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (!ENCODINGS.has(encoding)) {
    return Promise.reject(
      new BodyRefusal(
        'unsupported_encoding',
        415,
        `Content-Encoding '${encoding.slice(0, 64)}' is not supported; use gzip, deflate or none`,
      ),
    );
  }
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge(limit));
  const inflater: Transform | null =
    encoding === 'identity' ? null : encoding === 'gzip' ? createGunzip() : createInflate();
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
    const finish = (e: BodyRefusal | null) => {
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
    source.once('error', (e: Error) =>
      finish(new BodyRefusal('unreadable_body', 400, `the body could not be read: ${e.message}`)),
    );
    req.once('close', () => {
      if (!req.complete)
        finish(new BodyRefusal('unreadable_body', 400, 'the client closed the request before its body was complete'));
    });
  });
}

/**
 * Answers "Expect: 100-continue" so that a client announcing a body over the limit is refused
 * before it sends any of it; every other request is told to go on and then handled as usual.
 */
export function refuseOversizeBeforeContinue(server: Server, limit: number): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // Without "100 Continue" the request still runs (auth first, then the body reader refuses
    // it from Content-Length alone), and the client, never told to continue, never sends the body.
    if (!(Number(req.headers['content-length'] ?? 0) > limit)) res.writeContinue();
    server.emit('request', req, res);
  });
}

function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  );
}

/**
 * Express middleware for the services' small JSON bodies, in place of body-parser, which reads
 * a refused body to its end before answering (so a client announcing 1 GiB held the request
 * open until it sent it all or timed out), takes UTF-16 and replaces bytes that are not UTF-8
 * with U+FFFD. Here: `application/json` in UTF-8 only (another charset is 415, bytes that are
 * not UTF-8 are 400), gzip or deflate allowed, at most `limit` bytes after decompression, read
 * by readBody. Bodies of other types are left unread, for the handler to refuse (the
 * collector reads its own, after its guard); an empty body is `{}`.
 */
export function jsonBody(limit: number) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!hasBody(req)) {
      next();
      return;
    }
    const [type = '', ...params] = String(req.headers['content-type'] ?? '')
      .split(';')
      .map((s) => s.trim().toLowerCase());
    if (type !== 'application/json') {
      next();
      return;
    }
    const charset = params
      .find((p) => p.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/"/g, '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      next(new ProblemException(415, `charset '${charset.slice(0, 64)}' is not supported; send UTF-8`));
      return;
    }
    readBody(req, limit).then(
      (body) => {
        if (!isUtf8(body)) return next(new ProblemException(400, 'body is not valid UTF-8'));
        try {
          req.body = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch (e) {
          return next(
            new ProblemException(400, `body is not JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`),
          );
        }
        next();
      },
      (e: unknown) => next(e),
    );
  };
}
