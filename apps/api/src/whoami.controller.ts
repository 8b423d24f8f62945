import { Controller, Get } from '@nestjs/common';
import { catalog } from '@metering/catalog';
import { CurrentPrincipal, SignedIn } from '@metering/auth';
import type { Principal } from '@metering/db';

/** What a token is (the dashboard signs in with it), and the catalog it reads usage against. */
@Controller('v1')
export class WhoamiController {
  @Get('whoami')
  @SignedIn()
  whoami(@CurrentPrincipal() p: Principal) {
    return p.kind === 'member' ? { kind: 'member', org: p.org, email: p.email, role: p.role } : { kind: p.kind };
  }

  @Get('catalog')
  @SignedIn()
  catalog() {
    return catalog;
  }
}
