import { appendHourEventsJson, hourEvents, simulateFleet } from './index';

const HOUR = 3_600_000;

describe('fleet events as JSON text', () => {
  it('is, event for event, what JSON.stringify makes of hourEvents', () => {
    const fleet = simulateFleet({ machines: 2000, orgs: ['acme', 'globex', 'initech'] });
    const start = Date.UTC(2026, 10, 21, 0);
    for (const m of fleet) {
      for (const h of [start, start + 7 * HOUR]) {
        const text: string[] = [];
        appendHourEventsJson(m, h, text);
        expect(text).toEqual(hourEvents(m, h).map((e) => JSON.stringify(e)));
      }
    }
  });
});
