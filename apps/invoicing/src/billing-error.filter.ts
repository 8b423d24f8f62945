import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { MissingPriceError } from '@metering/billing';
import type { ProblemBody } from '@metering/service';
import {
  BarrierTimeoutError,
  InvalidPeriodError,
  NOTHING_CLOSED,
  PeriodOpenError,
  UnknownDocumentError,
} from './errors';

type BillingError =
  InvalidPeriodError | PeriodOpenError | BarrierTimeoutError | UnknownDocumentError | MissingPriceError;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- keyed by `error.constructor`, which is a Function
const STATUS = new Map<Function, [number, string]>([
  [InvalidPeriodError, [400, 'bad request']],
  [PeriodOpenError, [409, 'period still open']],
  [BarrierTimeoutError, [503, 'aggregator behind']],
  [UnknownDocumentError, [404, 'not found']],
  [MissingPriceError, [422, 'no price in force']],
]);

/** Billing's domain errors, as problem details; the domain code knows nothing of HTTP. */
@Catch(InvalidPeriodError, PeriodOpenError, BarrierTimeoutError, UnknownDocumentError, MissingPriceError)
export class BillingErrorFilter implements ExceptionFilter<BillingError> {
  catch(e: BillingError, host: ArgumentsHost): void {
    const [status, title] = STATUS.get(e.constructor) ?? [500, 'internal server error'];
    const detail = e instanceof BarrierTimeoutError ? `${e.message} ${NOTHING_CLOSED}` : e.message;
    const body: ProblemBody = { type: `https://metering.dev/problems/${status}`, title, status, detail };
    if (e instanceof BarrierTimeoutError) {
      body['lagging'] = e.lagging.map((l) => ({
        partition: l.partition,
        folded: l.folded.toString(),
        needed: l.needed.toString(),
      }));
    }
    const res = host.switchToHttp().getResponse<Response>();
    if (status === 503) res.setHeader('Retry-After', '10');
    res.status(status).type('application/problem+json').send(JSON.stringify(body));
  }
}
