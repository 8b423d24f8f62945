import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { allSkus } from '@metering/catalog';
import { parseThreshold } from '@metering/billing';
import { actorOf, CheckedOrg, CurrentPrincipal, OrgRole } from '@metering/auth';
import { AlertRepository, AlertView, Principal } from '@metering/db';
import { OrgId } from '@metering/domain';
import { METERING_CONFIG, MeteringConfig, notFound, webhookTargetProblem } from '@metering/service';
import { BodyReader } from './input';

/** Spend alerts of one organization (CONTRACT.md, "Spend alerts"): its billing members manage them. */
@Controller('v1/orgs/:org/alerts')
export class AlertsController {
  constructor(
    private readonly alerts: AlertRepository,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
  ) {}

  @Post()
  @OrgRole('billing')
  @HttpCode(201)
  async create(
    @CheckedOrg() org: OrgId,
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<AlertView & { secret: string }> {
    const input = new BodyReader(body);
    const name = input.string('name', { max: 200 });
    const fields = body as Record<string, unknown>;
    const threshold = parseThreshold(fields['threshold']);
    if (threshold === null)
      input.faults.push({ path: 'threshold', message: 'must be a positive decimal string, like "250.00"' });
    const app = fields['app'] === undefined ? null : input.string('app', { max: 128 });
    const skuPrefix = fields['sku_prefix'] === undefined ? null : input.string('sku_prefix', { max: 200 });
    const webhookUrl = fields['webhook_url'] === undefined ? null : input.string('webhook_url', { max: 2048 });
    const known = new Set(['name', 'threshold', 'app', 'sku_prefix', 'webhook_url']);
    for (const key of Object.keys(fields))
      if (!known.has(key)) input.faults.push({ path: key, message: 'is not a field of an alert' });
    if (skuPrefix && !allSkus().some((s) => s.sku.startsWith(skuPrefix)))
      input.faults.push({ path: 'sku_prefix', message: `no SKU of the catalog starts with '${skuPrefix}'` });
    if (app && !(await this.alerts.hasApp(org, app)))
      input.faults.push({ path: 'app', message: `organization has no usage under the app '${app}'` });
    if (webhookUrl) {
      const problem = await webhookTargetProblem(webhookUrl, this.config.alerts.allowHosts);
      if (problem) input.faults.push({ path: 'webhook_url', message: problem });
    }
    input.done();
    const { alert, secret } = await this.alerts.create(
      org,
      { name, threshold: fields['threshold'] as string, app, skuPrefix, webhookUrl },
      actorOf(who),
    );
    return { ...alert, secret };
  }

  @Get()
  @OrgRole('billing')
  list(@CheckedOrg() org: OrgId): Promise<AlertView[]> {
    return this.alerts.list(org);
  }

  @Get(':id')
  @OrgRole('billing')
  async get(@CheckedOrg() org: OrgId, @Param('id') id: string): Promise<AlertView> {
    const alert = await this.alerts.get(org, id);
    if (!alert) throw notFound('no such alert');
    return alert;
  }

  @Delete(':id')
  @OrgRole('billing')
  @HttpCode(204)
  async remove(@CheckedOrg() org: OrgId, @Param('id') id: string, @CurrentPrincipal() who: Principal): Promise<void> {
    if (!(await this.alerts.remove(org, id, actorOf(who)))) throw notFound('no such alert');
  }
}
