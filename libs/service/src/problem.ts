import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** One fault of the input, as the contract lists them: where, and what is wrong there. */
export interface FaultDetail {
  path: string;
  message: string;
}

/** RFC 9457 problem details: what every error of every service looks like on the wire. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FaultDetail[];
  [extension: string]: unknown;
}

/** An HTTP error that already knows its problem body (thrown by controllers and guards, never by domain code). */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    detail: string,
    extra: { errors?: FaultDetail[]; title?: string; headers?: Record<string, string> } = {},
  ) {
    const body: ProblemBody = {
      type: `https://metering.dev/problems/${status}`,
      title: extra.title ?? (HttpStatus[status] ?? 'Error').toString().replace(/_/g, ' ').toLowerCase(),
      status,
      detail,
    };
    if (extra.errors) body.errors = extra.errors;
    super(body, status);
    this.headers = extra.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

export const badRequest = (detail: string, errors?: FaultDetail[]) =>
  new ProblemException(400, detail, errors ? { errors } : {});
export const notFound = (detail = 'not found') => new ProblemException(404, detail);

function fromHttpException(e: HttpException): ProblemBody {
  const status = e.getStatus();
  const res = e.getResponse();
  if (typeof res === 'object' && res !== null && 'type' in res && 'status' in res) return res as ProblemBody;
  const message =
    typeof res === 'string'
      ? res
      : typeof res === 'object' && res !== null && 'message' in res
        ? String((res as { message: unknown }).message)
        : e.message;
  return {
    type: `https://metering.dev/problems/${status}`,
    title: (HttpStatus[status] ?? 'Error').toString().replace(/_/g, ' ').toLowerCase(),
    status,
    detail: message,
  };
}

/** Maps whatever escapes a handler to problem details; unknown errors become a 500 without internals. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly log = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let body: ProblemBody;
    if (exception instanceof HttpException) {
      body = fromHttpException(exception);
      if (exception instanceof ProblemException)
        for (const [k, v] of Object.entries(exception.headers)) res.setHeader(k, v);
    } else if (isDatabaseUnavailable(exception)) {
      // A restart or failover of Postgres: the request is safe to repeat once it is back.
      this.log.warn(`database unavailable: ${(exception as Error).message}`);
      res.setHeader('retry-after', '2');
      body = {
        type: 'https://metering.dev/problems/503',
        title: 'service unavailable',
        status: 503,
        detail: 'the database is unavailable; try again shortly',
      };
    } else {
      this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      body = {
        type: 'https://metering.dev/problems/500',
        title: 'internal server error',
        status: 500,
        detail: 'internal error; it has been logged',
      };
    }
    if (res.headersSent) return;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }
}

/** SQLSTATE classes and socket errors that mean Postgres is away (restarting, failing over, refusing connections), not that the request is wrong. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
const UNAVAILABLE_SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export function isDatabaseUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET.has(code))) return true;
  return /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
    e.message,
  );
}
