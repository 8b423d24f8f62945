import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { DocumentsRepository, IdentityRepository } from '@metering/db';
import { badRequest, notFound } from '@metering/service';
import { renderDocument } from './invoice-html';
import { OrgId } from '@metering/domain';

function wantsHtml(format: unknown): boolean {
  if (format === undefined || format === 'json') return false;
  if (format === 'html') return true;
  throw badRequest('invalid query parameters', [{ path: 'format', message: 'json or html' }]);
}

/** Invoices and credit notes of one organization, for its billing members (and the operator). */
@Controller('v1/orgs/:org')
export class InvoicesController {
  constructor(
    private readonly documents: DocumentsRepository,
    private readonly identities: IdentityRepository,
  ) {}

  @Get('invoices')
  @OrgRole('billing')
  list(@CheckedOrg() org: OrgId) {
    return this.documents.invoices(org);
  }

  @Get('invoices/:number')
  @OrgRole('billing')
  async one(
    @CheckedOrg() org: OrgId,
    @Param('number') number: string,
    @Query('format') format: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const html = wantsHtml(format);
    const invoice = await this.documents.invoice(org, number);
    if (!invoice) throw notFound(`no invoice ${number}`);
    if (!html) {
      res.json(invoice);
      return;
    }
    const orgName = (await this.identities.getOrganization(org))?.name ?? org;
    res
      .type('text/html; charset=utf-8')
      .send(renderDocument({ kind: 'Invoice', ...invoice, orgName, refers_to: invoice.credit_note }));
  }

  @Get('credit-notes')
  @OrgRole('billing')
  creditNotes(@CheckedOrg() org: OrgId) {
    return this.documents.creditNotes(org);
  }

  @Get('credit-notes/:number')
  @OrgRole('billing')
  async creditNote(
    @CheckedOrg() org: OrgId,
    @Param('number') number: string,
    @Query('format') format: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const html = wantsHtml(format);
    const note = await this.documents.creditNote(org, number);
    if (!note) throw notFound(`no credit note ${number}`);
    if (!html) {
      res.json(note);
      return;
    }
    const orgName = (await this.identities.getOrganization(org))?.name ?? org;
    res
      .type('text/html; charset=utf-8')
      .send(renderDocument({ kind: 'Credit note', ...note, orgName, refers_to: note.invoice }));
  }
}
