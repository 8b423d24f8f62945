import { connect, Socket } from 'node:net';
import type { HostileRequest } from './corpus';

/** What came back on the wire for one request. */
export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** Milliseconds from the connection to the end of the answer (or to the close). */
  ms: number;
  /** Bytes of the body the client managed to write before it stopped (answer arrived, or the server hung up). */
  bodyBytesSent: number;
  /** Why the client gave up, when it did: the bound passed with no complete answer. */
  timedOut: boolean;
}

const PIECE = 64 * 1024;

/** The request head as bytes: request line, headers in the given order (latin1, so any byte can be sent). */
export function headOf(req: HostileRequest, port: number, body: Buffer | undefined): Buffer {
  const lines = [`${req.method} ${req.target} HTTP/1.1`];
  const names = new Set(req.headers.map(([k]) => k.toLowerCase()));
  if (!names.has('host')) lines.push(`Host: 127.0.0.1:${port}`);
  if (!names.has('connection')) lines.push('Connection: close');
  if (req.chunked) lines.push('Transfer-Encoding: chunked');
  else if (body && !names.has('content-length')) lines.push(`Content-Length: ${body.length}`);
  for (const [k, v] of req.headers) lines.push(`${k}: ${v}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

function frame(piece: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
}

/** Parses one HTTP/1.1 answer out of what the socket has received; null while incomplete. Interim 1xx answers are skipped. */
function parseAnswer(
  buf: Buffer,
  closed: boolean,
): { status: number; headers: Record<string, string>; body: Buffer } | null {
  let start = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', start);
    if (end < 0) return null;
    const head = buf.subarray(start, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    if (status >= 100 && status < 200) {
      start = end + 4;
      continue;
    }
    const rest = buf.subarray(end + 4);
    if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      return rest.length >= n
        ? { status, headers, body: rest.subarray(0, n) }
        : closed
          ? { status, headers, body: rest }
          : null;
    }
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const parts: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = rest.indexOf('\r\n', at);
        if (eol < 0) return closed ? { status, headers, body: Buffer.concat(parts) } : null;
        const size = parseInt(rest.subarray(at, eol).toString('latin1'), 16);
        if (size === 0) return { status, headers, body: Buffer.concat(parts) };
        if (rest.length < eol + 2 + size + 2) return closed ? { status, headers, body: Buffer.concat(parts) } : null;
        parts.push(rest.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    if (status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    // No length: the body runs to the close (Node's own bare refusals have none and close at once).
    return closed ? { status, headers, body: rest } : null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends one request over its own connection, byte for byte as the corpus wrote it, and reads
 * the answer. Bodies go out in 64 KiB pieces and stop as soon as an answer arrives (a server
 * that refuses a large body must not have to read it); a paced request trickles its head or
 * body; one with `stopAfter` sends that much and then holds the connection open, silent.
 */
export function send(req: HostileRequest, port: number, boundMs: number): Promise<RawAnswer> {
  // Made before the clock starts: a 64 MiB bomb takes the client longer to make than the server to refuse.
  const body = req.body === undefined ? undefined : typeof req.body === 'function' ? req.body() : req.body;
  return new Promise((resolve) => {
    const started = Date.now();
    let received = Buffer.alloc(0);
    let bodyBytesSent = 0;
    let done = false;
    let closed = false;
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const parsed = parseAnswer(received, true);
      socket.destroy();
      resolve({
        status: parsed?.status ?? 0,
        headers: parsed?.headers ?? {},
        body: parsed?.body ?? Buffer.alloc(0),
        ms: Date.now() - started,
        bodyBytesSent,
        timedOut,
      });
    };
    const timer = setTimeout(() => finish(true), boundMs);
    const answered = () => done || closed || parseAnswer(received, false) !== null || received.indexOf('\r\n\r\n') >= 0;
    socket.on('data', (c: Buffer) => {
      received = Buffer.concat([received, c]);
      if (parseAnswer(received, false)) finish(false);
    });
    // EPIPE / ECONNRESET once the server hangs up on a refused body: what it answered before counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish(false);
    });
    const write = async (
      bytes: Buffer,
      pace?: { bytesPerTick: number; tickMs: number; stopAfter?: number },
      isBody = false,
    ) => {
      const limit = pace?.stopAfter ?? bytes.length;
      const step = pace ? pace.bytesPerTick : PIECE;
      for (let at = 0; at < Math.min(limit, bytes.length) && !answered(); at += step) {
        const piece = bytes.subarray(at, Math.min(at + step, limit, bytes.length));
        const flushed = socket.write(piece);
        if (isBody) bodyBytesSent += piece.length;
        if (pace) await sleep(pace.tickMs);
        else if (!flushed) await Promise.race([new Promise((r) => socket.once('drain', r)), sleep(1000)]);
      }
      return limit >= bytes.length;
    };
    socket.once('connect', async () => {
      if (req.raw) {
        await write(req.raw, req.pace?.part === 'head' ? req.pace : undefined);
        return;
      }
      const head = headOf(req, port, body);
      if (!(await write(head, req.pace?.part === 'head' ? req.pace : undefined))) return;
      if (body === undefined) return;
      const pace = req.pace?.part === 'body' ? req.pace : undefined;
      if (!req.chunked) {
        if (!(await write(body, pace, true)) && req.pace?.abort) finish(false);
        return;
      }
      // Chunked: frame each piece; the closing chunk only when the whole body was sent.
      const step = pace ? pace.bytesPerTick : PIECE;
      const limit = pace?.stopAfter ?? body.length;
      for (let at = 0; at < Math.min(limit, body.length) && !answered(); at += step) {
        const piece = body.subarray(at, Math.min(at + step, limit, body.length));
        const flushed = socket.write(frame(piece));
        bodyBytesSent += piece.length;
        if (pace) await sleep(pace.tickMs);
        else if (!flushed) await Promise.race([new Promise((r) => socket.once('drain', r)), sleep(1000)]);
      }
      if (limit >= body.length && !answered()) socket.write('0\r\n\r\n');
      else if (req.pace?.abort) finish(false);
    });
  });
}
