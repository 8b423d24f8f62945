import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { ProblemBody } from '@metering/service';
import { TermsConflictError, TermsInputError, TermsNotFoundError } from './terms-errors';

type TermsError = TermsInputError | TermsConflictError | TermsNotFoundError;

/** The terms' domain errors as problem details: 400 with each fault's path, 409 with the reason, 404. */
@Catch(TermsInputError, TermsConflictError, TermsNotFoundError)
export class TermsErrorFilter implements ExceptionFilter<TermsError> {
  catch(e: TermsError, host: ArgumentsHost): void {
    const [status, title] =
      e instanceof TermsInputError
        ? [400, 'bad request']
        : e instanceof TermsConflictError
          ? [409, 'conflict']
          : [404, 'not found'];
    const body: ProblemBody = { type: `https://metering.dev/problems/${status}`, title, status, detail: e.message };
    if (e instanceof TermsInputError) body.errors = e.faults;
    if (e instanceof TermsConflictError) body['reason'] = e.reason;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(status)
      .type('application/problem+json')
      .send(JSON.stringify(body));
  }
}
