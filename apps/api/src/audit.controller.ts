import { Controller, Get, Query } from '@nestjs/common';
import { CheckedOrg, OrgRole } from '@metering/auth';
import { AuditRecord, AuditRepository } from '@metering/db';
import { badRequest } from '@metering/service';
import { OrgId } from '@metering/domain';

/** Who changed memberships and tokens of an organization, and when; for its admins. */
@Controller('v1/orgs/:org/audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  @Get()
  @OrgRole('admin')
  async list(
    @CheckedOrg() org: OrgId,
    @Query('limit') limit?: string,
    @Query('before') before?: string,
  ): Promise<{ entries: AuditRecord[]; next: string | null }> {
    const n = limit === undefined ? 100 : Number(limit);
    const faults = [];
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      faults.push({ path: 'limit', message: 'a whole number from 1 to 1000' });
    if (before !== undefined && !/^\d{1,18}$/.test(before)) faults.push({ path: 'before', message: 'an entry id' });
    if (faults.length > 0) throw badRequest('invalid query parameters', faults);
    const entries = await this.audit.list(org, {
      limit: n,
      ...(before !== undefined ? { before: BigInt(before) } : {}),
    });
    return { entries, next: entries.length === n ? entries[entries.length - 1]!.id : null };
  }
}
