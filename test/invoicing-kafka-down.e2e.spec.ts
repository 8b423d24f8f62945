import type { INestApplication } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { periodBounds, periodOf } from '@metering/domain';
import { decodeBillingEvent, topicCopies } from '@metering/kafka';
import { createInvoicingApp } from '../apps/invoicing/src/app';
import { CloseService } from '../apps/invoicing/src/close.service';
import { createPrivateBroker, PrivateBroker } from '../chaos/private-broker';
import { testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { eventually } from './support/services';

/**
 * The contract: an invoice.finalized event reaches Kafka "even if Kafka was down at the moment
 * of the close". The broker is stopped in the middle of a close (after its barrier, before its
 * invoices are written and committed), so every invoice is issued while Kafka is away; the
 * outbox holds their events until the broker is back, then relays each of them.
 */
describe('invoicing: Kafka down when invoices are issued', () => {
  let broker: PrivateBroker;
  let db: TestDatabase;
  let app: INestApplication;
  const names = { usage: 'kd.usage.events.v1', dlq: 'kd.usage.events.dlq.v1', invoices: 'kd.billing.invoices.v1' };
  const previous = periodOf(periodBounds(periodOf(Date.now())).from - 1);
  const orgs = ['acme', 'globex', 'initech'];

  beforeAll(async () => {
    [broker, db] = await Promise.all([createPrivateBroker(), createTestDatabase()]);
    await broker.start();
    const admin = new Kafka({ clientId: 'kd-admin', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: topicCopies(names) });
    await admin.disconnect();
    for (const [i, org] of orgs.entries()) {
      await db.pool.query('INSERT INTO organizations (slug, name) VALUES ($1, $1)', [org]);
      await db.pool.query(
        `INSERT INTO usage_monthly (period, org, sku, quantity, events) VALUES ($1, $2, 'machine.runtime/performance-1x', $3, 1)`,
        [new Date(periodBounds(previous).from), org, 3600 * (i + 1)],
      );
    }
    app = await createInvoicingApp(
      testConfig(
        db.url,
        { ...names, kafka: null as never, drop: async () => undefined },
        { kafkaBrokers: broker.brokers },
      ),
    );
    await app.listen(0, '127.0.0.1');
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await Promise.all([db?.drop(), broker?.destroy()]);
  });

  it('issues the invoices with the broker stopped mid-close, holds their events, and relays every one once it is back', async () => {
    let stopping: Promise<void> | undefined;
    const result = await app.get(CloseService).close(previous, {
      // After the barrier has read Kafka's end offsets, before any invoice is written.
      onProgress: (p) => {
        if (p.phase === 'reading' && p.done === 1) stopping ??= broker.stop();
      },
    });
    expect(stopping).toBeDefined();
    await stopping;
    expect(result.invoices.map((i) => i.org)).toEqual(orgs);

    // Kafka is away: the events wait in the outbox, however often the relay tries.
    await new Promise((r) => setTimeout(r, 3_000));
    const pending = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL');
    expect(pending.rows[0]!.n).toBe(orgs.length);

    await broker.start();
    await eventually(
      async () =>
        (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NULL')).rows[0]!
          .n === 0
          ? true
          : undefined,
      90_000,
      'the outbox to drain once the broker is back',
    );
    const consumer = new Kafka({ clientId: 'kd-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING }).consumer(
      { groupId: `kd-${Date.now()}` },
    );
    const seen = new Map<string, string>();
    await consumer.connect();
    await consumer.subscribe({ topic: names.invoices, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = decodeBillingEvent(message.value!);
        seen.set(e.number, `${e.type} ${e.org}`);
      },
    });
    try {
      await eventually(
        async () => (seen.size >= orgs.length ? true : undefined),
        30_000,
        'every invoice event on the topic',
      );
      expect(Object.fromEntries(seen)).toEqual(
        Object.fromEntries(result.invoices.map((i) => [i.number, `invoice.finalized ${i.org}`])),
      );
    } finally {
      await consumer.disconnect();
    }
  }, 240_000);
});
