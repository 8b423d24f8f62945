import { ChildProcess, spawn } from 'node:child_process';
import { connect, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { asServiceRole } from '@metering/db';
import { decodeUsageEvent } from '@metering/kafka';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, readTopic, TestTopics } from './support/kafka';
import { seedHost, startOnly } from './support/services';
import { kafkaBrokers } from './support/urls';

const MAIN = join(__dirname, '..', 'dist', 'apps', 'collector', 'src', 'main.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const batch = (prefix: string, n: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      specversion: '1.0',
      id: `${prefix}-${i}`,
      source: 'host/ord-1',
      type: 'machine.runtime',
      time: new Date(Date.now() - 3_600_000).toISOString(),
      data: { org: i % 2 ? 'acme' : 'globex', resource: `m_${i}`, region: 'ord', quantity: 60, size: 'shared-cpu-1x' },
    })),
  );

/** A request whose head and first part of body are sent; the rest waits for finish(). */
function startRequest(port: number, token: string, body: string): Promise<{ finish(): void; answer: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(
        `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      const half = Math.floor(body.length / 2);
      socket.write(body.slice(0, half));
      resolve({ finish: () => socket.write(body.slice(half)), answer });
    });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    const answer = new Promise<string>((res) => socket.once('close', () => res(text)));
    socket.once('error', reject);
  });
}

const acceptedIn = (answer: string) => {
  expect(answer).toMatch(/^HTTP\/1\.1 202/);
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { accepted: number };
};

/**
 * SIGTERM on the built collector, as a real process: it stops taking connections, finishes the
 * requests in flight (answering 202 only once Kafka has their events), then exits; what it
 * accepted is all in Kafka.
 */
describe('collector: graceful shutdown on SIGTERM', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let api: { api: string; close(): Promise<void> };
  let token: string;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    api = await startOnly(testConfig(db.url, topics), ['api']);
    token = (await seedHost(api.api, TEST_OPERATOR_TOKEN, ['acme', 'globex'])).token;
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await api?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('finishes the requests in flight, refuses new connections, flushes to Kafka and exits', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        DATABASE_URL: asServiceRole(db.url),
        DATABASE_OWNER_URL: db.url,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        USAGE_TOPIC: topics.usage,
        COLLECTOR_PORT: String(port),
        METERING_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let logs = '';
    child.stdout!.on('data', (c: Buffer) => (logs += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (logs += c.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((r) =>
      child!.once('exit', (code, signal) => r({ code, signal, at: Date.now() })),
    );
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(`${base}/health/ready`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`collector did not become ready:\n${logs}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Accepted before the signal; its keep-alive connection then sits idle and must not hold the exit.
    const before = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: batch('before', 100),
    });
    expect(before.status).toBe(202);
    expect(await before.json()).toEqual({ accepted: 100, rejected: [] });

    // Two big requests in flight: heads and half their bodies sent when SIGTERM arrives.
    const inFlight = await Promise.all([
      startRequest(port, token, batch('a', 5000)),
      startRequest(port, token, batch('b', 3000)),
    ]);
    await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');

    // It stops taking connections...
    const refusedBy = Date.now() + 5000;
    for (;;) {
      const refused = await new Promise<boolean>((r) => {
        const s = connect({ host: '127.0.0.1', port });
        s.once('connect', () => (s.destroy(), r(false)));
        s.once('error', () => r(true));
      });
      if (refused) break;
      if (Date.now() > refusedBy) throw new Error(`still accepting connections after SIGTERM:\n${logs}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(child.exitCode).toBeNull();

    // ...yet the requests already in flight are read to the end and answered.
    for (const r of inFlight) r.finish();
    const answers = await Promise.all(inFlight.map((r) => r.answer));
    const answeredAt = Date.now();
    expect(answers.map((a) => acceptedIn(a).accepted)).toEqual([5000, 3000]);

    const exit = await exited;
    expect(String(exit.signal ?? exit.code)).toMatch(/^(SIGTERM|0)$/);
    expect(exit.at - answeredAt).toBeLessThan(5000);
    expect(logs).not.toMatch(/"level":"error"/);

    const ids = (await readTopic(topics.kafka, topics.usage)).map((r) => decodeUsageEvent(r.value!).event.id);
    expect(ids).toHaveLength(8100);
    expect(new Set(ids).size).toBe(8100);
  });
});
