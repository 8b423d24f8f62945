import { runScenario } from './support/chaos';

describe('chaos, CI-sized, on a three-broker cluster', () => {
  it('the broker leading the most partitions killed, then a second one, both back: 503 with Retry-After, every 202 counted once, the outbox relays every invoice', async () => {
    const result = await runScenario('broker-failover');
    expect(JSON.parse(String(result.figures['host retries by answer']))).toHaveProperty('503');
    expect(result.figures['503 without Retry-After']).toBe(0);
  }, 300_000);
});
