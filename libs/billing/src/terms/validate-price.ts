import { asCheckedOrg, Dec } from '@metering/domain';
import { decimalFault, InputFault, instantOf, isObject, isZeroDecimal, unknownFields, Validated } from './input';
import type { Rate, TermPriceEntry, Tier, TierMode } from './types';

/** A price entry as the operator posts it, checked: everything but the id the store gives it. */
export type NewPriceEntry = Omit<TermPriceEntry, 'id'>;

export interface PriceInputContext {
  /** The catalog unit of a SKU (`unitOf` of @metering/catalog), undefined for an unknown SKU. */
  unitOf(sku: string): string | undefined;
  /** Whether an organization of that slug exists. */
  orgExists(org: string): boolean;
}

export const PRICE_PLACES = 12;
export const MAX_TIERS = 100;
const HOUR_MS = 3_600_000;
const FIELDS = ['sku', 'effective_from', 'org', 'unit_price', 'tiers', 'tier_mode'] as const;

/**
 * Checks a `POST /v1/billing/prices` body. Every fault is reported with its path, not only the
 * first. What needs the database (a closed month, a duplicate entry) is the store's to refuse.
 */
export function validatePriceBody(body: unknown, ctx: PriceInputContext): Validated<NewPriceEntry> {
  if (!isObject(body)) return { ok: false, faults: [{ path: '', message: 'must be a JSON object' }] };
  const faults: InputFault[] = unknownFields(body, FIELDS, 'a price entry');

  const { sku } = body;
  let unit: string | undefined;
  if (typeof sku !== 'string' || sku === '')
    faults.push({ path: 'sku', message: 'is required: a SKU of the catalog, e.g. "gpu.runtime/a10"' });
  else if ((unit = ctx.unitOf(sku)) === undefined) faults.push({ path: 'sku', message: 'is not a SKU of the catalog' });

  let effectiveFrom: number | undefined;
  if (body['effective_from'] === undefined)
    faults.push({
      path: 'effective_from',
      message: 'is required: the start of a UTC hour, e.g. "2026-12-01T00:00:00Z"',
    });
  else {
    const t = instantOf(body['effective_from']);
    if (typeof t === 'string') faults.push({ path: 'effective_from', message: t });
    else if (t % HOUR_MS !== 0)
      faults.push({ path: 'effective_from', message: 'must be the start of a UTC hour, e.g. "2026-12-01T00:00:00Z"' });
    else effectiveFrom = t;
  }

  const org = body['org'];
  if (org !== undefined && org !== null) {
    if (typeof org !== 'string' || org === '')
      faults.push({ path: 'org', message: 'must be an organization slug, or left out for a list price' });
    else if (!ctx.orgExists(org)) faults.push({ path: 'org', message: 'is not an organization' });
  }

  const rate = rateOf(body, faults);
  if (faults.length > 0 || unit === undefined || effectiveFrom === undefined || rate === undefined)
    return { ok: false, faults };
  return {
    ok: true,
    value: { sku: sku as string, org: typeof org === 'string' ? asCheckedOrg(org) : null, effectiveFrom, unit, rate },
  };
}

function rateOf(body: Record<string, unknown>, faults: InputFault[]): Rate | undefined {
  const hasPrice = body['unit_price'] !== undefined;
  const hasTiers = body['tiers'] !== undefined;
  const mode = body['tier_mode'];
  if (hasPrice && hasTiers) {
    faults.push({ path: 'tiers', message: 'give either unit_price or tiers, not both' });
    return undefined;
  }
  if (!hasPrice && !hasTiers) {
    faults.push({ path: 'unit_price', message: 'is required, or tiers instead' });
    return undefined;
  }
  if (hasPrice) {
    if (mode !== undefined) faults.push({ path: 'tier_mode', message: 'applies to tiers only, not to a unit_price' });
    const fault = decimalFault(body['unit_price'], PRICE_PLACES, '0.000694');
    if (fault) faults.push({ path: 'unit_price', message: fault });
    return fault || mode !== undefined ? undefined : { kind: 'flat', unitPrice: body['unit_price'] as string };
  }
  let tierMode: TierMode = 'graduated';
  if (mode !== undefined) {
    if (mode === 'graduated' || mode === 'volume') tierMode = mode;
    else faults.push({ path: 'tier_mode', message: 'must be "graduated" (the default) or "volume"' });
  }
  const tiers = tiersOf(body['tiers'], faults);
  return tiers && (mode === undefined || mode === 'graduated' || mode === 'volume')
    ? { kind: 'tiered', mode: tierMode, tiers }
    : undefined;
}

function tiersOf(value: unknown, faults: InputFault[]): Tier[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    faults.push({
      path: 'tiers',
      message: 'must be a non-empty array of {"up_to", "unit_price"}, the last with "up_to": null',
    });
    return undefined;
  }
  if (value.length > MAX_TIERS) {
    faults.push({ path: 'tiers', message: `at most ${MAX_TIERS} tiers` });
    return undefined;
  }
  const before = faults.length;
  const tiers: Tier[] = [];
  let previous: string | null = null; // the last valid up_to, to check the order against
  value.forEach((t: unknown, i) => {
    const at = `tiers[${i}]`;
    if (!isObject(t)) {
      faults.push({ path: at, message: 'must be an object {"up_to", "unit_price"}' });
      return;
    }
    faults.push(...unknownFields(t, ['up_to', 'unit_price'], 'a tier').map((f) => ({ ...f, path: `${at}.${f.path}` })));
    const last = i === value.length - 1;
    const upTo = t['up_to'];
    if (last) {
      if (upTo !== null)
        faults.push({
          path: `${at}.up_to`,
          message: 'must be null in the last tier: it holds all the units above the one before',
        });
    } else if (upTo === null || upTo === undefined) {
      faults.push({ path: `${at}.up_to`, message: 'may be null in the last tier only' });
    } else {
      const fault = decimalFault(upTo, null, '3600');
      if (fault) faults.push({ path: `${at}.up_to`, message: fault });
      else if (isZeroDecimal(upTo as string)) faults.push({ path: `${at}.up_to`, message: 'must be positive' });
      else {
        if (previous !== null && Dec.of(upTo as string).cmp(Dec.of(previous)) <= 0)
          faults.push({ path: `${at}.up_to`, message: `must be greater than the tier before's (${previous})` });
        previous = upTo as string;
      }
    }
    const priceFault = decimalFault(t['unit_price'], PRICE_PLACES, '0.000694');
    if (priceFault) faults.push({ path: `${at}.unit_price`, message: priceFault });
    tiers.push({ upTo: last ? null : (upTo as string), unitPrice: t['unit_price'] as string });
  });
  return faults.length === before ? tiers : undefined;
}
