import { Problem, problem } from './problem';

// RFC 3339 section 5.6; "T" and "Z" may be lower case (section 5.6, NOTE). Digits past
// milliseconds are accepted but truncated, since events carry epoch milliseconds.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MAX_LENGTH = 35;
const MS_PER_DAY = 86_400_000;

const BAD_FORMAT = problem('must be an RFC 3339 date-time with a time zone, e.g. 2026-11-21T10:15:00Z');
const NOT_REAL = problem('is not a real date and time');

/** Epoch milliseconds (UTC) of an RFC 3339 date-time. Leap seconds (:60) are refused: hosts run
 *  smeared clocks, and a :60 stamp would sort after the next second's events. */
export function parseRfc3339(text: string): number | Problem {
  if (text.length > MAX_LENGTH) return BAD_FORMAT;
  const m = DATE_TIME.exec(text);
  if (m === null) return BAD_FORMAT;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NOT_REAL;
  if (hour > 23 || minute > 59 || second > 59) return NOT_REAL;
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const offsetHour = Number(m[9]);
    const offsetMinute = Number(m[10]);
    if (offsetHour > 23 || offsetMinute > 59) return NOT_REAL;
    offsetMinutes = (offsetHour * 60 + offsetMinute) * (m[8] === '-' ? -1 : 1);
  }
  const local = daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
  return local - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
 *  Date.UTC would do, except that it maps years 0-99 to 1900-1999. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
