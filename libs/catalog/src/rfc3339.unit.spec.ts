import { isProblem } from './problem';
import { parseRfc3339 } from './rfc3339';

describe('parseRfc3339', () => {
  it.each<[string, number]>([
    ['2026-11-21T10:15:00Z', Date.UTC(2026, 10, 21, 10, 15, 0)],
    ['2026-11-21T10:15:00.123+02:00', Date.UTC(2026, 10, 21, 8, 15, 0, 123)],
    ['2026-11-21T10:15:00.5-05:30', Date.UTC(2026, 10, 21, 15, 45, 0, 500)],
    ['2026-11-21T10:15:00.123999999Z', Date.UTC(2026, 10, 21, 10, 15, 0, 123)],
    ['2026-11-21t10:15:00z', Date.UTC(2026, 10, 21, 10, 15, 0)],
    ['2026-11-21T10:15:00-00:00', Date.UTC(2026, 10, 21, 10, 15, 0)],
    ['2028-02-29T23:59:59Z', Date.UTC(2028, 1, 29, 23, 59, 59)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:59:59.999Z', -1],
  ])('given %p when parsed then it is epoch %p', (text, epoch) => {
    expect(parseRfc3339(text)).toBe(epoch);
  });

  it('given a year below 100 when parsed then it is not mistaken for the 1900s', () => {
    const expected = new Date(0);
    expected.setUTCFullYear(50, 0, 1);
    expect(parseRfc3339('0050-01-01T00:00:00Z')).toBe(expected.getTime());
  });

  it('given every day of four centuries when parsed then each agrees with Date', () => {
    const disagreements: string[] = [];
    for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2300, 0, 1); t += 86_400_000) {
      const iso = new Date(t).toISOString();
      if (parseRfc3339(iso) !== t) disagreements.push(iso);
    }
    expect(disagreements).toEqual([]);
  });

  it.each<[string]>([
    ['2026-11-21'],
    ['2026-11-21 10:15:00'],
    ['2026-11-21T10:15:00'],
    ['2026-11-21T10:15Z'],
    ['2026-11-21T10:15:00,5Z'],
    ['2026-11-21T10:15:00+0200'],
    ['2026-11-21T10:15:00.Z'],
    ['26-11-21T10:15:00Z'],
    ['2026-11-21T10:15:00Z '],
    [' 2026-11-21T10:15:00Z'],
    ['2026-11-21T10:15:00.1234567890Z'],
    ['Sat, 21 Nov 2026 10:15:00 GMT'],
    [''],
  ])('given the malformed %p when parsed then it must be RFC 3339', (text) => {
    const result = parseRfc3339(text);
    expect(isProblem(result) && result.message.startsWith('must be an RFC 3339 date-time')).toBe(true);
  });

  it.each<[string]>([
    ['2026-02-30T10:00:00Z'],
    ['2026-02-29T10:00:00Z'],
    ['1900-02-29T10:00:00Z'],
    ['2026-04-31T10:00:00Z'],
    ['2026-13-01T10:00:00Z'],
    ['2026-00-10T10:00:00Z'],
    ['2026-11-00T10:00:00Z'],
    ['2026-11-21T24:00:00Z'],
    ['2026-11-21T10:60:00Z'],
    ['2026-12-31T23:59:60Z'],
    ['2026-11-21T10:15:00+24:00'],
    ['2026-11-21T10:15:00+02:60'],
  ])('given the impossible %p when parsed then it is not a real date and time', (text) => {
    expect(parseRfc3339(text)).toEqual({ message: 'is not a real date and time' });
  });
});
