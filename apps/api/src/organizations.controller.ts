import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { actorOf, CheckedOrg, CurrentPrincipal, OperatorOnly, OrgRole } from '@metering/auth';
import { ConflictError, IdentityRepository, Organization, Principal } from '@metering/db';
import { notFound, ProblemException } from '@metering/service';
import { BodyReader, SLUG } from './input';
import { OrgId } from '@metering/domain';

@Controller('v1')
export class OrganizationsController {
  constructor(private readonly identities: IdentityRepository) {}

  @Post('orgs')
  @OperatorOnly()
  @HttpCode(201)
  async create(@Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<Organization> {
    const input = new BodyReader(body);
    const slug = input.string('slug', {
      pattern: SLUG,
      max: 63,
      hint: 'lowercase letters, digits and -, starting with a letter or digit',
    });
    const name = input.string('name', { max: 200 });
    input.done();
    try {
      return await this.identities.createOrganization(slug, name, actorOf(who));
    } catch (e) {
      if (e instanceof ConflictError) throw new ProblemException(409, e.message);
      throw e;
    }
  }

  @Get('orgs/:org')
  @OrgRole('viewer')
  async get(@CheckedOrg() org: OrgId): Promise<Organization> {
    const found = await this.identities.getOrganization(org);
    if (!found) throw notFound('organization not found');
    return found;
  }

  @Post('hosts')
  @OperatorOnly()
  @HttpCode(201)
  async createHost(
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<{ id: string; name: string; token: string }> {
    const input = new BodyReader(body);
    const name = input.string('name', { max: 200 });
    input.done();
    return this.identities.createHost(name, actorOf(who));
  }

  @Delete('hosts/:host')
  @OperatorOnly()
  @HttpCode(204)
  async revokeHost(@Param('host') host: string, @CurrentPrincipal() who: Principal): Promise<void> {
    if (!(await this.identities.revokeHost(host, actorOf(who)))) throw notFound('host not found');
  }
}
