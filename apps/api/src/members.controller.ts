import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { actorOf, CheckedOrg, CurrentPrincipal, OrgRole } from '@metering/auth';
import { IdentityRepository, Membership, MissingError, Principal, Role, ROLES } from '@metering/db';
import { notFound, ProblemException } from '@metering/service';
import { BodyReader, EMAIL } from './input';
import { OrgId } from '@metering/domain';

/** Memberships and member tokens of one organization: its admins (and the operator) manage them. */
@Controller('v1/orgs/:org')
export class MembersController {
  constructor(private readonly identities: IdentityRepository) {}

  @Get('members')
  @OrgRole('admin')
  list(@CheckedOrg() org: OrgId): Promise<Membership[]> {
    return this.identities.listMemberships(org);
  }

  @Post('members')
  @OrgRole('admin')
  @HttpCode(201)
  async put(@CheckedOrg() org: OrgId, @Body() body: unknown, @CurrentPrincipal() who: Principal): Promise<Membership> {
    const input = new BodyReader(body);
    const email = input.string('email', { pattern: EMAIL, max: 254, hint: 'an email address' });
    const role = input.oneOf<Role>('role', ROLES);
    input.done();
    return this.identities.putMembership(org, email, role, actorOf(who));
  }

  @Delete('members/:email')
  @OrgRole('admin')
  @HttpCode(204)
  async remove(
    @CheckedOrg() org: OrgId,
    @Param('email') email: string,
    @CurrentPrincipal() who: Principal,
  ): Promise<void> {
    if (!(await this.identities.deleteMembership(org, email, actorOf(who)))) throw notFound('no such member');
  }

  @Post('tokens')
  @OrgRole('admin')
  @HttpCode(201)
  async issue(
    @CheckedOrg() org: OrgId,
    @Body() body: unknown,
    @CurrentPrincipal() who: Principal,
  ): Promise<{ id: string; token: string; role: Role }> {
    const input = new BodyReader(body);
    const email = input.string('email', { pattern: EMAIL, max: 254, hint: 'an email address' });
    const name = input.string('name', { max: 200, optional: true });
    input.done();
    try {
      return await this.identities.issueMemberToken(org, email, name, actorOf(who));
    } catch (e) {
      if (e instanceof MissingError) throw new ProblemException(422, e.message);
      throw e;
    }
  }

  @Get('tokens')
  @OrgRole('admin')
  tokens(@CheckedOrg() org: OrgId) {
    return this.identities.listMemberTokens(org);
  }

  @Delete('tokens/:id')
  @OrgRole('admin')
  @HttpCode(204)
  async revoke(@CheckedOrg() org: OrgId, @Param('id') id: string, @CurrentPrincipal() who: Principal): Promise<void> {
    if (!(await this.identities.revokeMemberToken(org, id, actorOf(who)))) throw notFound('no such token');
  }
}
