import { connect, Socket } from 'node:net';
import type { MeteringConfig } from '@metering/service';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { seedHost, startOnly } from './support/services';

const LIMIT = 10 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Bodies over 10 MiB are refused with 413 before they are read whole: a declared length at
 * once, a chunked body as soon as it passes the limit, and then the connection is closed
 * rather than drained. Raw sockets, so the test sees exactly how much the server let through.
 */
describe('collector: the 10 MiB body limit', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: { collector: string; api: string; close(): Promise<void> };
  let token: string;
  let port: number;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startOnly(config, ['collector', 'api']);
    token = (await seedHost(svc.api, TEST_OPERATOR_TOKEN, ['acme'])).token;
    port = Number(new URL(svc.collector).port);
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  /** A socket that has sent the request head; collects what the server answers and notes when it closes. */
  function open(
    head: Record<string, string>,
    bearer = token,
  ): Promise<{ socket: Socket; answer: () => string; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        const lines = [
          `POST /v1/events HTTP/1.1`,
          `Host: 127.0.0.1:${port}`,
          `Authorization: Bearer ${bearer}`,
          'Content-Type: application/json',
        ];
        for (const [k, v] of Object.entries(head)) lines.push(`${k}: ${v}`);
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
        resolve({ socket, answer: () => text, closed });
      });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server hangs up: expected
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.once('error', reject);
    });
  }

  const until = async (cond: () => boolean, ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);

  it('refuses a declared Content-Length over the limit before reading the body, and closes the connection', async () => {
    const { socket, answer, closed } = await open({ 'Content-Length': String(LIMIT + 1) });
    socket.write(Buffer.alloc(1024, 0x20)); // a first kilobyte, then nothing more
    await until(() => answer().includes('\r\n\r\n{'), 5000, 'the answer');
    expect(status(answer())).toBe(413);
    expect(answer()).toMatch(/content-type: application\/problem\+json/i);
    expect(answer()).toContain('larger than the limit of 10485760 bytes');
    await Promise.race([
      closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('connection left open')), 5000)),
    ]);
  });

  it('answers "Expect: 100-continue" with 413, not 100 Continue, when the announced body is over the limit', async () => {
    const { answer, closed } = await open({ 'Content-Length': String(200 * MiB), Expect: '100-continue' });
    await until(() => answer().includes('\r\n\r\n{'), 5000, 'the answer');
    expect(answer()).not.toContain('100 Continue');
    expect(status(answer())).toBe(413);
    await closed;
  });

  it('stops reading a chunked body as soon as it passes the limit', async () => {
    const { socket, answer, closed } = await open({ 'Transfer-Encoding': 'chunked' });
    const piece = Buffer.alloc(64 * 1024, 0x20);
    const frame = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    let sent = 0;
    let atAnswer = -1;
    socket.on('data', () => {
      if (atAnswer < 0 && answer().includes('\r\n\r\n')) atAnswer = sent;
    });
    // A 200 MiB body: a server that read on would take all of it; this one must hang up.
    while (sent < 200 * MiB && !socket.destroyed) {
      sent += piece.length;
      if (!socket.write(frame)) {
        await Promise.race([
          new Promise((r) => socket.once('drain', r)),
          closed,
          new Promise((r) => setTimeout(r, 2000)),
        ]);
      }
    }
    await closed;
    expect(status(answer())).toBe(413);
    expect(atAnswer).toBeGreaterThan(LIMIT);
    // What the kernel buffers on loopback after the server stopped reading, and no more.
    expect(sent).toBeLessThan(LIMIT + 24 * MiB);
  });

  it('does not read the body of a caller it refuses (401), and hangs up', async () => {
    const { socket, answer, closed } = await open({ 'Content-Length': String(8 * MiB) }, 'mh_unknown-token');
    socket.write(Buffer.alloc(1024, 0x20));
    await until(() => answer().includes('\r\n\r\n{'), 5000, 'the answer');
    expect(status(answer())).toBe(401);
    await Promise.race([
      closed,
      new Promise((_, rej) => setTimeout(() => rej(new Error('connection left open')), 5000)),
    ]);
  });

  it('accepts a body of exactly 10 MiB and refuses one byte more', async () => {
    const event = JSON.stringify({
      specversion: '1.0',
      id: 'padded',
      source: 'host/ord-1',
      type: 'ip.dedicated',
      time: new Date(Date.now() - 60_000).toISOString(),
      data: { org: 'acme', resource: 'ip_1', region: 'ord', quantity: 60 },
    });
    const padded = (size: number) => `[${event}${' '.repeat(size - event.length - 2)}]`;
    const post = (body: string) =>
      fetch(`${svc.collector}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
    const exact = await post(padded(LIMIT));
    expect(exact.status).toBe(202);
    expect(await exact.json()).toEqual({ accepted: 1, rejected: [] });
    const over = await post(padded(LIMIT + 1));
    expect(over.status).toBe(413);
    expect(over.headers.get('content-type')).toContain('application/problem+json');
  });
});
