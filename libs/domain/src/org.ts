/**
 * An organization whose existence and whose caller's right to it were checked. Only the
 * constructors below mint one, each for one kind of trusted source, and every read of tenant
 * data takes one, so a query that forgets the organization does not compile. A brand is a
 * type only: at run time an OrgId is the slug itself, and the constructors return it as it is.
 */
export type OrgId = string & { readonly __brand: 'OrgId' };

/** For the authorization layer alone: call only after the caller's right to `slug` was checked. */
export function asCheckedOrg(slug: string): OrgId {
  return slug as OrgId;
}

/**
 * For the operator's own tools (the billing service and CLI), whose caller may read every
 * organization: the slug came from the billing team, or from billing's own tables.
 */
export function asOperatorOrg(slug: string): OrgId {
  return slug as OrgId;
}

/**
 * For a usage event's organization: minted by the event validation (which checked the slug
 * against the organizations when the collector accepted it), and by the readers of the records
 * it let through to Kafka (the fold's decoder, the codec).
 */
export function asValidatedOrg(slug: string): OrgId {
  return slug as OrgId;
}
