import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { OperatorOnly } from '@metering/auth';
import { isStorableText } from '@metering/catalog';
import { DocumentsRepository, IdentityRepository, InvoiceView } from '@metering/db';
import { asOperatorOrg, isPeriod } from '@metering/domain';
import { badRequest, notFound } from '@metering/service';
import { BillingErrorFilter } from './billing-error.filter';
import { CloseResult, CloseService } from './close.service';
import { DocumentsService, Preview } from './documents.service';
import { InvalidPeriodError } from './errors';
import { OutboxRelay } from './outbox.relay';

const ORG_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
const REASON_MAX = 500;

/** The optional reason of a void: the `reason` string of a JSON object body, cut to 500 characters. */
function voidReason(body: unknown): string {
  if (body === undefined) return '';
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('the body must be a JSON object, e.g. {"reason": "..."}');
  const reason = (body as { reason?: unknown }).reason;
  if (reason === undefined || reason === null) return '';
  if (typeof reason !== 'string')
    throw badRequest('the request body has errors', [{ path: 'reason', message: 'must be a string' }]);
  // Postgres refuses NUL, and an unpaired surrogate would be stored as U+FFFD.
  if (!isStorableText(reason))
    throw badRequest('the request body has errors', [
      { path: 'reason', message: 'must not contain control characters or unpaired surrogates' },
    ]);
  // Cut by code points, so the cut never splits a surrogate pair.
  const points = Array.from(reason);
  return points.length > REASON_MAX ? points.slice(0, REASON_MAX).join('') : reason;
}

/** The billing team's HTTP interface; every route takes the operator token. */
@Controller('v1/billing')
@UseFilters(BillingErrorFilter)
export class BillingController {
  constructor(
    private readonly closing: CloseService,
    private readonly docs: DocumentsService,
    private readonly documents: DocumentsRepository,
    private readonly identities: IdentityRepository,
    private readonly relay: OutboxRelay,
  ) {}

  @Post('periods/:period/close')
  @OperatorOnly()
  @HttpCode(200)
  async close(@Param('period') period: string): Promise<CloseResult> {
    const result = await this.closing.close(period);
    void this.relay.nudge();
    return result;
  }

  @Post('invoices/:number/void')
  @OperatorOnly()
  async void(@Param('number') number: string, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    const { created, credit_note } = await this.docs.void(number, voidReason(body));
    res.status(created ? 201 : 200);
    void this.relay.nudge();
    return credit_note;
  }

  @Get('invoices/:number')
  @OperatorOnly()
  async invoice(@Param('number') number: string): Promise<InvoiceView> {
    const found = await this.documents.invoiceForOperator(number);
    if (!found) throw notFound(`no invoice ${number}`);
    return found;
  }

  @Get('preview')
  @OperatorOnly()
  async preview(@Query('org') org: unknown, @Query('period') period: unknown): Promise<Preview> {
    const faults = [];
    if (typeof org !== 'string' || org === '')
      faults.push({ path: 'org', message: 'is required: an organization slug' });
    else if (!ORG_SLUG.test(org)) faults.push({ path: 'org', message: 'must be an organization slug' });
    if (typeof period !== 'string' || period === '') faults.push({ path: 'period', message: 'is required: YYYY-MM' });
    if (faults.length > 0) throw badRequest('invalid query parameters', faults);
    if (!isPeriod(period as string)) throw new InvalidPeriodError(period as string);
    if (!(await this.identities.organizationExists(org as string))) throw notFound('organization not found');
    return this.docs.preview(asOperatorOrg(org as string), period as string);
  }

  @Get('reconcile')
  @OperatorOnly()
  reconcile() {
    return this.docs.reconcile();
  }
}
