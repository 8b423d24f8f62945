import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IdentityRepository, Principal, Role } from '@metering/db';
import { MeteringConfig, ProblemException, PUBLIC_ROUTE } from '@metering/service';
import { ACCESS, AccessRule, roleAtLeast } from './access';
import { OperatorToken } from './operator-token';
import { RATE_LIMITS, RateLimiter } from './rate-limiter';
import { asCheckedOrg, OrgId } from '@metering/domain';

interface AuthedRequest extends Request {
  principal?: Principal;
  checkedOrg?: OrgId;
}

const unauthorized = (detail: string) =>
  new ProblemException(401, detail, { headers: { 'WWW-Authenticate': 'Bearer realm="metering"' } });
const forbidden = () => new ProblemException(403, 'this token may not do that');
// Never reveal that another organization exists: its resources are "not found".
const orgNotFound = () => new ProblemException(404, 'organization not found');

/**
 * Every route declares who may call it (see access.ts); a route that declares nothing is
 * refused, so forgetting the declaration fails closed. Sets the request's principal and,
 * on :org routes, the checked OrgId that the repositories require.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly identities: IdentityRepository,
    private readonly operator: OperatorToken,
    private readonly limiter: RateLimiter,
    @Inject(RATE_LIMITS) private readonly rates: MeteringConfig['rateLimits'],
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets)) return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, targets);
    if (rule === undefined) throw forbidden();
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const principal = await this.principalOf(req);
    req.principal = principal;
    this.limit(principal);
    switch (rule.kind) {
      case 'operator':
        if (principal.kind !== 'operator') throw forbidden();
        return true;
      case 'host':
        if (principal.kind !== 'host') throw forbidden();
        return true;
      case 'signed-in':
        if (principal.kind === 'host') throw forbidden();
        return true;
      case 'org':
        req.checkedOrg = await this.checkOrg(principal, String(req.params['org'] ?? ''), rule.role);
        return true;
    }
  }

  /** One runaway client must not starve the others: hosts and members are limited per token. */
  private limit(p: Principal): void {
    if (p.kind === 'operator') return;
    const wait = this.limiter.take(p.tokenId, p.kind === 'host' ? this.rates.ingest : this.rates.read);
    if (wait > 0) {
      throw new ProblemException(429, `too many requests for this token; retry in ${Math.ceil(wait)} s`, {
        headers: { 'Retry-After': String(Math.ceil(wait)) },
      });
    }
  }

  private async principalOf(req: Request): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('missing Authorization: Bearer <token>');
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    if (!match) throw unauthorized('Authorization must be "Bearer <token>"');
    const token = match[1]!;
    if (this.operator.matches(token)) return { kind: 'operator' };
    const principal = await this.identities.authenticate(token);
    if (!principal) throw unauthorized('unknown or revoked token');
    return principal;
  }

  private async checkOrg(principal: Principal, slug: string, need: Role): Promise<OrgId> {
    if (principal.kind === 'host') throw forbidden();
    if (principal.kind === 'member') {
      if (principal.org !== slug) throw orgNotFound();
      if (!roleAtLeast(principal.role, need)) throw forbidden();
      return asCheckedOrg(slug);
    }
    if (!(await this.identities.organizationExists(slug))) throw orgNotFound();
    return asCheckedOrg(slug);
  }
}

/** The organization of the route, checked by AuthGuard against the caller's rights. */
export const CheckedOrg = createParamDecorator((_: unknown, ctx: ExecutionContext): OrgId => {
  const org = ctx.switchToHttp().getRequest<AuthedRequest>().checkedOrg;
  if (!org) throw new Error('CheckedOrg used on a route without an OrgRole access rule');
  return org;
});

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without an access rule');
  return principal;
});
