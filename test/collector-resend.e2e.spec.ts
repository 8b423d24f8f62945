import type { MeteringConfig } from '@metering/service';
import { TEST_OPERATOR_TOKEN, testConfig } from './support/config';
import { createTestDatabase, TestDatabase } from './support/database';
import { createTestTopics, TestTopics } from './support/kafka';
import { call, foldedToEnd, seedHost, startOnly } from './support/services';

/**
 * Events with the same (source, id) are one event: hosts re-send whole batches, at the same
 * time as each other, overlapping, with invalid events among them, and every event counts
 * once in the usage the API reports. Collector, Kafka, aggregator, Postgres and API, for real.
 */
describe('collector: re-sent events count once, end to end', () => {
  let db: TestDatabase;
  let topics: TestTopics;
  let config: MeteringConfig;
  let svc: { collector: string; api: string; aggregator: string; close(): Promise<void> };
  let hostA: string;
  let hostB: string;

  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 3_600_000;
  const event = (source: string, id: string, quantity: number, org = 'acme') => ({
    specversion: '1.0',
    id,
    source,
    type: 'network.egress',
    time: new Date(hour + 60_000).toISOString(),
    data: { org, app: 'web', resource: 'm_1', region: 'fra', quantity },
  });
  const post = (token: string, body: unknown) =>
    call(`${svc.collector}/v1/events`, { token, body, contentType: 'application/cloudevents-batch+json' });

  async function egress(org: string): Promise<{ quantity: string; events: number } | undefined> {
    await foldedToEnd(topics.kafka, topics.usage, db.pool, config.consumerGroup);
    const from = new Date(hour).toISOString();
    const to = new Date(hour + 3_600_000).toISOString();
    const res = await call(`${svc.api}/v1/orgs/${org}/usage?from=${from}&to=${to}`, { token: TEST_OPERATOR_TOKEN });
    expect(res.status).toBe(200);
    const rows = res.body.rows as { sku: string; quantity: string; events: number }[];
    expect(rows.map((r) => r.sku)).toEqual(rows.length ? ['network.egress/eu'] : []);
    return rows[0] && { quantity: rows[0].quantity, events: rows[0].events };
  }

  beforeAll(async () => {
    [db, topics] = await Promise.all([createTestDatabase(), createTestTopics()]);
    config = testConfig(db.url, topics);
    svc = await startOnly(config, ['collector', 'api', 'aggregator']);
    hostA = (await seedHost(svc.api, TEST_OPERATOR_TOKEN, ['acme', 'globex', 'initech'], 'host-a')).token;
    hostB = (await seedHost(svc.api, TEST_OPERATOR_TOKEN, [], 'host-b')).token;
  });

  afterAll(async () => {
    await svc?.close();
    await Promise.all([db?.drop(), topics?.drop()]);
  });

  it('counts a batch posted by six hosts at the same moment once', async () => {
    const batch = Array.from({ length: 500 }, (_, i) => event('host/fra-1', `c-${i}`, 1000 + i));
    const answers = await Promise.all(Array.from({ length: 6 }, (_, k) => post(k % 2 ? hostA : hostB, batch)));
    expect(answers.map((a) => [a.status, a.body.accepted])).toEqual(Array.from({ length: 6 }, () => [202, 500]));
    const sum = batch.reduce((s, e) => s + e.data.quantity, 0);
    expect(await egress('acme')).toEqual({ quantity: String(sum), events: 500 });
  });

  it('counts overlapping re-sends, and re-sends carrying invalid events, once', async () => {
    const first = Array.from({ length: 100 }, (_, i) => event('host/fra-2', `o-${i}`, 10, 'globex'));
    const overlap = Array.from({ length: 100 }, (_, i) => event('host/fra-2', `o-${i + 50}`, 10, 'globex'));
    const withBad = [
      ...first.slice(0, 20),
      event('host/fra-2', 'bad', -1, 'globex'),
      event('host/fra-2', 'o-500', 10, 'globex'),
    ];
    const answers = await Promise.all([
      post(hostA, first),
      post(hostB, overlap),
      post(hostA, withBad),
      post(hostA, first),
    ]);
    expect(answers.map((a) => [a.status, a.body.accepted, a.body.rejected.length])).toEqual([
      [202, 100, 0],
      [202, 100, 0],
      [202, 21, 1],
      [202, 100, 0],
    ]);
    // o-0 .. o-149 and o-500: 151 distinct events of 10 bytes.
    expect(await egress('globex')).toEqual({ quantity: '1510', events: 151 });
  });

  it('tells events apart by source: the same id from two hosts is two events', async () => {
    const a = [event('host/fra-3', 'same-id', 7, 'initech')];
    const b = [event('host/fra-4', 'same-id', 7, 'initech')];
    for (const batch of [a, b, a, b]) expect((await post(hostA, batch)).status).toBe(202);
    expect(await egress('initech')).toEqual({ quantity: '14', events: 2 });
  });
});
