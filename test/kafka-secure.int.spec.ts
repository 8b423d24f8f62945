import { randomBytes } from 'node:crypto';
import { KafkaSecurity, loadKafkaSecurity } from '@metering/service';
import { asValidatedOrg } from '@metering/domain';
import { BrokerConnection, createKafka, decodeUsageEvent, metadataRequest, UsageProducer } from '@metering/kafka';
import { createAndWait, fetchBatches, readTopic } from './support/kafka';
import { secureKafka, SecureKafka } from './support/secure-kafka';

const T = Date.UTC(2026, 10, 21, 10, 0);

// The secure broker of `stack --secure`: TLS with its own CA, SASL PLAIN and SCRAM-SHA-256/512.
describe('Kafka over SASL_SSL (the --secure stack)', () => {
  let secure: SecureKafka;
  const topic = `test.${randomBytes(4).toString('hex')}.secure`;
  const as = (over: Record<string, string>): KafkaSecurity => loadKafkaSecurity({ ...secure.env, ...over });

  beforeAll(async () => {
    secure = await secureKafka();
    const admin = createKafka(secure.brokers, 'test-secure', secure.security).admin();
    await admin.connect();
    await createAndWait(admin, [{ topic, numPartitions: 2 }]);
    await admin.disconnect();
  }, 120_000);

  afterAll(async () => {
    if (!secure) return;
    const admin = createKafka(secure.brokers, 'test-secure', secure.security).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it.each(['scram-sha-512', 'scram-sha-256', 'plain'])(
    'our wire client connects with %s over TLS, negotiates versions and reads metadata',
    async (mechanism) => {
      const [host, port] = secure.brokers[0]!.split(':');
      const conn = await BrokerConnection.open(
        host!,
        Number(port),
        'test-secure',
        10_000,
        as({ KAFKA_SASL_MECHANISM: mechanism }),
      );
      try {
        const m = await conn.send(metadataRequest(topic), 10_000);
        expect(m.errorCode).toBe(0);
        expect(m.leaders).toHaveLength(2);
      } finally {
        conn.close();
      }
    },
  );

  it('refuses a wrong password, and a CA that did not sign the broker, saying which', async () => {
    const [host, port] = secure.brokers[0]!.split(':');
    await expect(
      BrokerConnection.open(host!, Number(port), 'test-secure', 10_000, as({ KAFKA_SASL_PASSWORD: 'wrong' })),
    ).rejects.toThrow(/SASL SCRAM-SHA-512 authentication failed/);
    const publicRoots: KafkaSecurity = { ...secure.security, ssl: {} };
    await expect(BrokerConnection.open(host!, Number(port), 'test-secure', 10_000, publicRoots)).rejects.toThrow(
      /certificate/i,
    );
  });

  it('produces acknowledged events with our producer and reads them back with our fetcher and with kafkajs', async () => {
    const producer = new UsageProducer({ brokers: secure.brokers, topic, security: secure.security });
    const events = Array.from({ length: 50 }, (_, i) => ({
      id: `s-${i}`,
      source: 'host/ord-1',
      type: 'machine.runtime',
      time: T,
      org: asValidatedOrg(i % 2 ? 'acme' : 'globex'),
      app: 'web',
      resource: 'm_1',
      region: 'ord',
      quantity: String(i),
      sku: 'machine.runtime/shared-cpu-1x',
      size: 'shared-cpu-1x',
      gpu: null,
      memoryMb: null,
    }));
    try {
      await producer.send(events, Date.now());
    } finally {
      await producer.stop();
    }
    const batches = await fetchBatches(topic, events.length, {
      brokers: secure.brokers,
      security: secure.security,
      partitions: [0, 1],
    });
    const seen = batches.flatMap((b) =>
      Array.from({ length: b.records.length }, (_, i) => decodeUsageEvent(b.records.value(i)!).event.id),
    );
    expect(seen.sort()).toEqual(events.map((e) => e.id).sort());

    const byKafkajs = (await readTopic(createKafka(secure.brokers, 'test-secure-kafkajs', secure.security), topic)).map(
      (r) => decodeUsageEvent(r.value!).event.id,
    );
    expect(byKafkajs.sort()).toEqual(events.map((e) => e.id).sort());
  }, 90_000);
});
