import { runScenario } from './support/chaos';

describe('chaos, CI-sized: the pipeline under kills, rebalances and a broker outage', () => {
  it('kill -9 of the aggregator at random moments while events flow, some sent two or three times: every event counted once', async () => {
    await runScenario('kill-aggregator');
  }, 240_000);

  it('two aggregator instances joining, leaving and killed under load: every event counted once', async () => {
    await runScenario('rebalance');
  }, 240_000);

  it('the broker stopped and killed mid-ingest: 503s, hosts retry, nothing accepted is lost', async () => {
    const result = await runScenario('broker-restart');
    expect(JSON.parse(String(result.figures['host retries by answer']))).toHaveProperty('503');
  }, 300_000);
});
