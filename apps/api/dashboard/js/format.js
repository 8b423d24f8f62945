// Formatting and periods. Amounts arrive as decimal strings; they are shown from the string
// itself (exact), and summed as integer cents (BigInt), never as floats.

/** "302523.57" → 30252357n */
export function cents(amount) {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?/.exec(amount ?? '0');
  if (!m) return 0n;
  const v = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -v : v;
}

/** 30252357n → "$302,523.57" */
export function money(c) {
  const negative = c < 0n;
  const abs = negative ? -c : c;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '−' : ''}$${whole}.${frac}`;
}

export const moneyOf = (amount) => money(cents(amount));

/** For chart axes: "$1.2k", "$35". Display only. */
export function compactMoney(n) {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: 'USD',
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(n);
}

/** Share of a total, "12.5%", from cents. */
export function share(part, total) {
  if (total <= 0n || part <= 0n) return '0%';
  const basisPoints = Number((part * 10000n) / total);
  if (basisPoints === 0) return '<0.01%';
  return basisPoints < 100 ? `${(basisPoints / 100).toFixed(2)}%` : `${(basisPoints / 100).toFixed(1)}%`;
}

export function count(n) {
  return new Intl.NumberFormat('en-US').format(n);
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const monthStart = (y, m) => Date.UTC(y, m, 1);
const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);
const isoTime = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * A period as the API takes it ([from, to), UTC) and how to chart it. Months are calendar
 * months in UTC, like invoices.
 */
export function periodRange(period, now = Date.now()) {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (period.kind) {
    case 'this-month':
      return { from: monthStart(y, m), to: monthStart(y, m + 1), label: monthName(monthStart(y, m)) };
    case 'last-month':
      return { from: monthStart(y, m - 1), to: monthStart(y, m), label: monthName(monthStart(y, m - 1)) };
    case 'last-7-days': {
      const to = Math.floor(now / HOUR) * HOUR + HOUR;
      return { from: to - 7 * DAY, to, label: 'Last 7 days' };
    }
    case 'custom': {
      const from = Date.parse(`${period.from}T00:00:00Z`);
      const to = Date.parse(`${period.to}T00:00:00Z`) + DAY; // the picker's last day is included
      return { from, to, label: `${shortDate(from)} – ${shortDate(to - DAY)}` };
    }
    default:
      throw new Error(`unknown period ${period.kind}`);
  }
}

/** Hourly bars up to about a month and a half; days beyond, so a bar stays visible. */
export const granularityOf = (range) => (range.to - range.from <= 45 * DAY ? 'hour' : 'day');

/** Every bucket start of the range up to now (empty hours are shown as empty, not skipped). */
export function buckets(range, granularity, now = Date.now()) {
  const step = granularity === 'hour' ? HOUR : DAY;
  const out = [];
  const last = Math.min(range.to, Math.floor(now / step) * step + step);
  for (let t = range.from; t < last; t += step) out.push(isoTime(t));
  return out;
}

export function bucketLabel(iso, granularity) {
  const d = new Date(iso);
  const day = d.toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return granularity === 'hour' ? `${day} ${String(d.getUTCHours()).padStart(2, '0')}:00` : day;
}

export function monthName(ms) {
  return new Date(ms).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}

export function shortDate(ms) {
  return new Date(ms).toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}

export { isoDate, isoTime };
