import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { actorOf, CheckedOrg, CurrentPrincipal, OrgRole } from '@metering/auth';
import { type Labels, validateLabels } from '@metering/billing';
import { AppView, LabelsRepository, Principal } from '@metering/db';
import { OrgId } from '@metering/domain';
import { badRequest, notFound } from '@metering/service';

/**
 * App labels for cost allocation (CONTRACT.md, "Cost allocation by label"). An unknown app is
 * 404: the app is the resource the path names, and it answers as another organization's app
 * does, so a path reveals nothing. An app is known once usage names it.
 */
@Controller('v1/orgs/:org/apps')
export class LabelsController {
  constructor(private readonly labels: LabelsRepository) {}

  @Get()
  @OrgRole('viewer')
  list(@CheckedOrg() org: OrgId): Promise<AppView[]> {
    return this.labels.apps(org);
  }

  @Put(':app/labels')
  @OrgRole('admin')
  async put(
    @CheckedOrg() org: OrgId,
    @Param('app') app: string,
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<AppView> {
    const checked = validateLabels(body);
    if (!checked.ok) throw badRequest('invalid labels', checked.faults);
    const labels: Labels = checked.value;
    if (!(await this.labels.set(org, app, labels, actorOf(who)))) throw notFound(`no app '${app}'`);
    return { app, labels };
  }
}
