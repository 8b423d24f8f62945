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

export class BarrierTimeoutError extends Error {
  constructor(
    readonly waitedMs: number,
    readonly lagging: { partition: number; folded: bigint; needed: bigint }[],
  ) {
    super(
      `the aggregator has not folded everything Kafka held when the close began (waited ${Math.round(waitedMs / 1000)} s): ` +
        lagging.map((l) => `partition ${l.partition} at ${l.folded} of ${l.needed} (${l.needed - l.folded} behind)`).join('; ') +
        '. Is the aggregator running? Nothing was closed; try again.',
    );
  }
}

export class UnknownDocumentError extends Error {
  constructor(number: string) {
    super(`no invoice ${number}`);
  }
}
