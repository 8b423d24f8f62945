import { sameSecret } from '@metering/db';

/** The billing team's token, from METERING_OPERATOR_TOKEN; compared in constant time. */
export class OperatorToken {
  constructor(private readonly token: string) {}

  matches(candidate: string): boolean {
    return sameSecret(candidate, this.token);
  }
}
