import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { actorOf, CurrentPrincipal, OperatorOnly } from '@metering/auth';
import { validateCorrection } from '@metering/billing';
import { CorrectionsRepository, CorrectionView, type Principal } from '@metering/db';
import { asOperatorOrg } from '@metering/domain';
import { encodeCorrection, USAGE_EVENT_SCHEMA_V2 } from '@metering/kafka';
import { badRequest, METERING_CONFIG, MeteringConfig, ProblemException } from '@metering/service';
import { OutboxRelay } from './outbox.relay';

const FUTURE_MS = 5 * 60_000;

/**
 * Corrections of usage (CONTRACT.md, "Corrections"), operator only. A correction is recorded
 * with its audit entry and its message in one transaction, and goes to usage.events.v1
 * through the outbox; the aggregator's fold applies or refuses it, once per id.
 */
@Controller('v1/billing/corrections')
export class CorrectionsController {
  constructor(
    private readonly corrections: CorrectionsRepository,
    private readonly relay: OutboxRelay,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  @Post()
  @OperatorOnly()
  @HttpCode(202)
  async request(@Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<CorrectionView> {
    const checked = validateCorrection(body);
    if (!checked.ok) throw badRequest('invalid correction', checked.faults);
    const c = checked.value;
    // Like usage (CONTRACT.md, "Ingest"): nothing from more than 5 minutes ahead.
    if (c.time > Date.now() + FUTURE_MS)
      throw badRequest('invalid correction', [
        { path: 'time', message: 'may not be more than 5 minutes in the future' },
      ]);
    const message = {
      topic: this.config.topics.usage,
      key: c.org,
      value: encodeCorrection(c, Date.now()),
      headers: { schema: USAGE_EVENT_SCHEMA_V2 },
    };
    const outcome = await this.corrections.request(c, actorOf(who), message);
    switch (outcome.kind) {
      case 'unknown-org':
        throw badRequest('invalid correction', [{ path: 'org', message: `no organization '${c.org}'` }]);
      case 'below-zero':
        throw new ProblemException(
          422,
          `the correction would take the resource's hour below zero: it holds ${outcome.current}, the correction is ${c.quantity}`,
          { errors: [{ path: 'quantity', message: `would take the hour's ${outcome.current} below zero` }] },
        );
      case 'conflict':
        throw new ProblemException(409, `correction '${c.id}' was requested before with other content`);
      default:
        void this.relay.nudge();
        return outcome.view;
    }
  }

  @Get()
  @OperatorOnly()
  list(@Query('org') org: unknown): Promise<CorrectionView[]> {
    if (org !== undefined && (typeof org !== 'string' || org === ''))
      throw badRequest('invalid query parameters', [{ path: 'org', message: 'must be one organization slug' }]);
    return this.corrections.list(org === undefined ? undefined : asOperatorOrg(org));
  }
}
