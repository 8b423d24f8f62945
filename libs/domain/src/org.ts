/**
 * An organization whose existence and whose caller's right to it were checked. Only the
 * authorization layer mints one (see `asCheckedOrg`), and every read of tenant data takes one,
 * so a query that forgets the organization does not compile.
 */
export type OrgId = string & { readonly __brand: 'OrgId' };

/** For the authorization layer alone: call only after the caller's right to `slug` was checked. */
export function asCheckedOrg(slug: string): OrgId {
  return slug as OrgId;
}
