import { runScenario } from './support/chaos';

describe('chaos, CI-sized: Postgres crashes, late events and racing closes', () => {
  it('Postgres crashed mid-fold and mid-close: the services recover by themselves, every event billed once', async () => {
    await runScenario('postgres-restart');
  }, 240_000);

  it('late and out-of-order events across a closed period become adjustments, once', async () => {
    await runScenario('late-events');
  }, 180_000);

  it('closes of one period at once, racing a void: one invoice per organization, one credit note, no gap', async () => {
    await runScenario('racing-closes');
  }, 180_000);
});
