import { SetMetadata } from '@nestjs/common';
import type { Principal, Role } from '@metering/db';

/** Who may call a route: the operator only, a host only, or members of the route's :org. */
export type AccessRule =
  | { kind: 'operator' }
  | { kind: 'host' }
  /** Members of the :org in the path with at least this role; the operator too. */
  | { kind: 'org'; role: Role }
  /** Any authenticated member or the operator (public data such as prices). */
  | { kind: 'signed-in' };

export const ACCESS = Symbol('ACCESS');

export const OperatorOnly = () => SetMetadata(ACCESS, { kind: 'operator' } satisfies AccessRule);
export const HostOnly = () => SetMetadata(ACCESS, { kind: 'host' } satisfies AccessRule);
export const OrgRole = (role: Role) => SetMetadata(ACCESS, { kind: 'org', role } satisfies AccessRule);
export const SignedIn = () => SetMetadata(ACCESS, { kind: 'signed-in' } satisfies AccessRule);

const RANK: Record<Role, number> = { viewer: 1, billing: 2, admin: 3 };

export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** How a principal is named in the audit log. */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case 'operator':
      return 'operator';
    case 'host':
      return `host:${p.hostId}`;
    case 'member':
      return `member:${p.email}`;
  }
}
