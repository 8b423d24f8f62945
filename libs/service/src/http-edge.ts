import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { ProblemBody, ProblemException } from './problem';

/**
 * How long a client may take: 10 s for the request head, 30 s for the whole request (a 10 MiB
 * batch on a slow uplink), checked every second, so a slow or stalled sender gets its 408
 * within about a second of the limit instead of Node's default 30 s check.
 */
export const HTTP_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, checkEveryMs: 1_000 } as const;

/**
 * Nest's Express adapter, creating its HTTP server with our timeouts. The check interval is
 * a createServer() option only (Node starts its timer when the server listens), so the server
 * has to be made here rather than adjusted after Nest made it. No HTTPS: TLS ends in front.
 */
export class BoundedExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: NestApplicationOptions): void {
    if (options?.httpsOptions) throw new Error('HTTPS is not supported here: terminate TLS in front of the service');
    const server = createServer(
      {
        headersTimeout: HTTP_TIMEOUTS.headersMs,
        requestTimeout: HTTP_TIMEOUTS.requestMs,
        connectionsCheckingInterval: HTTP_TIMEOUTS.checkEveryMs,
      },
      this.getInstance(),
    );
    server.keepAliveTimeout = HTTP_TIMEOUTS.keepAliveMs;
    answerClientErrors(server);
    refuseConnect(server);
    this.httpServer = server;
  }

  /** A path that exists under other methods answers 405 with `Allow` (RFC 9110), not 404. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's AbstractHttpAdapter signature
  override setNotFoundHandler(handler: Function, prefix?: string): unknown {
    const app = this.getInstance<{ router?: { stack?: RouteLayer[] } }>();
    const notFound = handler as (req: Request, res: Response, next: NextFunction) => unknown;
    return super.setNotFoundHandler((req: Request, res: Response, next: NextFunction) => {
      const allowed = allowedMethods(app.router?.stack ?? [], req.path);
      if (allowed.length === 0 || allowed.includes(req.method)) return notFound(req, res, next);
      const body: ProblemBody = {
        type: 'https://metering.dev/problems/405',
        title: 'method not allowed',
        status: 405,
        detail: `${req.method} is not allowed on ${req.path}; allowed: ${allowed.join(', ')}`,
      };
      res.status(405).setHeader('Allow', allowed.join(', '));
      res.type('application/problem+json').send(JSON.stringify(body));
      return undefined;
    }, prefix);
  }
}

/** An Express router layer, as much of it as the 405 check reads. */
interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): boolean;
}

/** The methods the routes matching `path` answer (HEAD wherever GET is). */
export function allowedMethods(stack: readonly RouteLayer[], path: string): string[] {
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    let matches = false;
    try {
      matches = layer.match(path);
    } catch {
      // A path Express cannot decode matches no route.
    }
    if (!matches) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') methods.add(m.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

function rawProblem(status: number, detail: string, headers: Record<string, string> = {}): string {
  const title = (STATUS_CODES[status] ?? 'Error').toLowerCase();
  const body: ProblemBody = { type: `https://metering.dev/problems/${status}`, title, status, detail };
  const text = JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/problem+json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${text}`;
}

/** Answers on a socket Node's HTTP parser gave up on, then closes it (at once if the client does not). */
function answerAndClose(socket: Duplex, answer: string): void {
  socket.end(answer);
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** Why Node refused a request before any handler saw it, as a status and a detail; 0 when there is no one to answer. */
function clientErrorStatus(e: NodeJS.ErrnoException & { reason?: string }): [number, string] {
  switch (e.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'the request head (request line and headers) is larger than 16 KiB'];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'the chunk extensions are larger than the limit'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [
        408,
        `the request was not received in time (head within ${HTTP_TIMEOUTS.headersMs / 1000} s, whole request within ${HTTP_TIMEOUTS.requestMs / 1000} s)`,
      ];
    case 'ECONNRESET':
    case 'EPIPE':
      return [0, ''];
    default:
      return [400, `not a valid HTTP/1.1 request: ${e.reason ?? e.message}`];
  }
}

/**
 * What Node answers itself (malformed requests, oversized heads, timeouts) is problem details
 * too, like everything else the services say. As Node does by default, nothing is written
 * once a response has begun.
 */
function answerClientErrors(server: Server): void {
  server.on('clientError', (e: NodeJS.ErrnoException, socket: Duplex) => {
    const [status, detail] = clientErrorStatus(e);
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (status === 0 || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    answerAndClose(socket, rawProblem(status, detail));
  });
}

/** CONNECT asks for a tunnel; these are not proxies. Without a listener Node would drop the connection unanswered. */
function refuseConnect(server: Server): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    answerAndClose(socket, rawProblem(405, 'CONNECT is not supported: this service is not a proxy', { Allow: '' }));
  });
}

/**
 * Express middleware: a request target holding an encoded NUL (%00) is refused before any
 * route sees it. No name, id or parameter of ours can contain one (Postgres text cannot), and
 * a NUL that reached a query would fail it with a 500.
 */
export function refuseNulInTarget(req: Request, _res: Response, next: NextFunction): void {
  if (/%00/i.test(req.url))
    next(new ProblemException(400, 'the request target holds an encoded NUL (%00), which no parameter may contain'));
  else next();
}

// How long, and how much, a refused body is still read (and dropped) before the connection closes.
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;

/**
 * Express middleware: when a request is refused before its body was read to the end (413,
 * 415, but also 401 for an unknown caller), the connection is half-closed after the answer,
 * what the client still sends is read and dropped for a moment, then the connection closes.
 * Node would otherwise read the rest of the body, however large, to keep the connection.
 * Not closed at once (nor with "Connection: close", which does that): the kernel would answer
 * the unread bytes with a reset, which can reach the client before the answer and destroy it,
 * and the client would see a broken connection instead of the reason.
 */
export function hangUpOnUnreadBody(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  res.once('finish', () => {
    if (req.complete || res.statusCode < 400) return;
    const socket = req.socket;
    let dropped = 0;
    req.on('data', (c: Buffer) => {
      dropped += c.length;
      if (dropped > LINGER_BYTES) socket.destroy();
    });
    req.resume();
    socket.end();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  next();
}
