import { isUtcZone, splitDays, wholeDays } from './resource-days';

const DAY = 86_400_000;
const day = (d: number, h = 0) => Date.UTC(2026, 11, d, h);

describe('wholeDays', () => {
  it('given a range cut inside days, then the whole UTC days inside it, today included', () => {
    const span = wholeDays(new Date(day(1, 5)), new Date(day(10, 12)))!;
    expect([span.first.getTime(), span.end.getTime()]).toEqual([day(2), day(10)]);
  });

  it('given fewer than two whole days, then none (the hours are as cheap)', () => {
    expect(wholeDays(new Date(day(1, 5)), new Date(day(3, 4)))).toBeNull();
  });
});

describe('splitDays', () => {
  const span = wholeDays(new Date(day(1)), new Date(day(8)))!;

  it('given cuts at midnight, inside a day and outside the span, then only the days with a cut inside them are left to the hourly rows', () => {
    expect([span.first.getTime(), span.end.getTime()]).toEqual([day(1), day(8)]);
    const cuts = [day(2), day(3, 5), day(3, 6), day(5, 23), day(6), day(9, 4)];
    expect(splitDays(span, cuts).map((d) => d.getTime())).toEqual([day(3), day(5)]);
  });

  it('given no cuts, then no day is split', () => {
    expect(splitDays(span, [])).toEqual([]);
    expect(splitDays({ first: new Date(day(1)), end: new Date(day(1) + 2 * DAY) }, [day(1)])).toEqual([]);
  });
});

describe('isUtcZone', () => {
  it('knows UTC by its names, and no zone with an offset', () => {
    expect(['UTC', 'Etc/UTC'].map(isUtcZone)).toEqual([true, true]);
    expect(['Europe/London', 'Africa/Abidjan'].map(isUtcZone)).toEqual([false, false]);
  });
});
