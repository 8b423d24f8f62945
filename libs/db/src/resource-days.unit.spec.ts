import { closedDays, splitDays } from './resource-days';

const DAY = 86_400_000;
const day = (d: number, h = 0) => Date.UTC(2026, 11, d, h);

describe('splitDays', () => {
  const span = closedDays(new Date(day(1)), new Date(day(10)), day(8, 12))!;

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
