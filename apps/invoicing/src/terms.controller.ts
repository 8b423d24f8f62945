import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseFilters } from '@nestjs/common';
import { actorOf, CurrentPrincipal, OperatorOnly } from '@metering/auth';
import type { CommitmentView, CreditGrantView, PriceEntryView, Principal } from '@metering/db';
import { badRequest } from '@metering/service';
import { TermsErrorFilter } from './terms-error.filter';
import { ChangeAuthor, CommitmentPreview, CreditPreview, PricePreview, TermsService } from './terms.service';

const author = (p: Principal): ChangeAuthor => ({ actor: actorOf(p), via: 'api' });

function orgFilter(org: unknown): string | undefined {
  if (org === undefined) return undefined;
  if (typeof org !== 'string' || org === '')
    throw badRequest('invalid query parameters', [{ path: 'org', message: 'must be one organization slug' }]);
  return org;
}

/** The commercial terms (CONTRACT.md, "Commercial terms"), changed by the billing team; every route takes the operator token. */
@Controller('v1/billing')
@UseFilters(TermsErrorFilter)
export class TermsController {
  constructor(private readonly terms: TermsService) {}

  @Post('prices')
  @OperatorOnly()
  @HttpCode(201)
  async setPrice(@Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<PricePreview> {
    return (await this.terms.setPrice(body, author(who))).value;
  }

  @Get('prices')
  @OperatorOnly()
  listPrices(@Query('org') org: unknown): Promise<PriceEntryView[]> {
    return this.terms.listPrices(orgFilter(org));
  }

  @Delete('prices/:id')
  @OperatorOnly()
  @HttpCode(204)
  async removePrice(@Param('id') id: string, @CurrentPrincipal() who: Principal): Promise<void> {
    await this.terms.removePrice(id, author(who));
  }

  @Post('orgs/:org/commitments')
  @OperatorOnly()
  @HttpCode(201)
  async setCommitment(
    @Param('org') org: string,
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<CommitmentPreview> {
    return (await this.terms.setCommitment(org, body, author(who))).value;
  }

  @Get('orgs/:org/commitments')
  @OperatorOnly()
  listCommitments(@Param('org') org: string): Promise<CommitmentView[]> {
    return this.terms.listCommitments(org);
  }

  @Post('orgs/:org/credits')
  @OperatorOnly()
  @HttpCode(201)
  async grantCredit(
    @Param('org') org: string,
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<CreditPreview> {
    return (await this.terms.grantCredit(org, body, author(who))).value;
  }

  @Get('orgs/:org/credits')
  @OperatorOnly()
  listCredits(@Param('org') org: string): Promise<CreditGrantView[]> {
    return this.terms.listCredits(org);
  }
}
