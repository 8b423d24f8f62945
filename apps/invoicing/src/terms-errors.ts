import type { InputFault } from '@metering/billing';

/** What can go wrong changing the terms, in the billing team's words; mapped to HTTP by TermsErrorFilter. */
export class TermsInputError extends Error {
  constructor(
    readonly faults: InputFault[],
    message = 'the request has errors',
  ) {
    super(message);
  }
}

/** A change the contract refuses with 409: a closed month, a duplicate entry, an entry in force. */
export class TermsConflictError extends Error {
  constructor(
    readonly reason: 'closed-month' | 'duplicate' | 'in-force',
    message: string,
  ) {
    super(message);
  }
}

export class TermsNotFoundError extends Error {}
