import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseFilters } from '@nestjs/common';
import type { Response } from 'express';
import { OperatorOnly } from '@metering/auth';
import { DocumentsRepository, InvoiceView } from '@metering/db';
import { badRequest, notFound } from '@metering/service';
import { BillingErrorFilter } from './billing-error.filter';
import { CloseResult, CloseService } from './close.service';
import { DocumentsService, Preview } from './documents.service';
import { OutboxRelay } from './outbox.relay';

/** The billing team's HTTP interface; every route takes the operator token. */
@Controller('v1/billing')
@UseFilters(BillingErrorFilter)
export class BillingController {
  constructor(
    private readonly closing: CloseService,
    private readonly docs: DocumentsService,
    private readonly documents: DocumentsRepository,
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
    const reason = typeof body === 'object' && body !== null && typeof (body as { reason?: unknown }).reason === 'string' ? (body as { reason: string }).reason.slice(0, 500) : '';
    const { created, credit_note } = await this.docs.void(number, reason);
    res.status(created ? 201 : 200);
    void this.relay.nudge();
    return credit_note;
  }

  @Get('invoices/:number')
  @OperatorOnly()
  async invoice(@Param('number') number: string): Promise<InvoiceView> {
    const found = await this.documents.invoice(number);
    if (!found) throw notFound(`no invoice ${number}`);
    return found;
  }

  @Get('preview')
  @OperatorOnly()
  preview(@Query('org') org: unknown, @Query('period') period: unknown): Promise<Preview> {
    const faults = [];
    if (typeof org !== 'string' || org === '') faults.push({ path: 'org', message: 'is required: an organization slug' });
    if (typeof period !== 'string' || period === '') faults.push({ path: 'period', message: 'is required: YYYY-MM' });
    if (faults.length > 0) throw badRequest('invalid query parameters', faults);
    return this.docs.preview(org as string, period as string);
  }

  @Get('reconcile')
  @OperatorOnly()
  reconcile() {
    return this.docs.reconcile();
  }
}
