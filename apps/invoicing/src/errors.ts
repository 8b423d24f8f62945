/** What can go wrong in billing, in the billing team's words; mapped to HTTP by BillingErrorFilter. */
export class InvalidPeriodError extends Error {
  constructor(text: string) {
    super(`'${text}' is not a period: expected YYYY-MM, a calendar month in UTC`);
  }
}

export class PeriodOpenError extends Error {
  constructor(period: string, endsAt: number) {
    super(`period ${period} has not ended: it can be closed from ${new Date(endsAt).toISOString()}`);
  }
}

// Thrown by the barrier (untilFolded, in @metering/kafka); billing's to map like the errors here.
export { BarrierTimeoutError } from '@metering/kafka';

/** Said after a barrier's timeout, which refuses the close before anything is written. */
export const NOTHING_CLOSED = 'Nothing was closed; try again.';

export class UnknownDocumentError extends Error {
  constructor(number: string) {
    super(`no invoice ${number}`);
  }
}
