import { asValidatedOrg, OrgId } from '@metering/domain';
import { region as lookupRegion } from './catalog';
import { Region } from './catalog-model';
import { canonicalQuantity } from './scaled-quantity';
import { isProblem } from './problem';
import { parseRfc3339 } from './rfc3339';
import { renderSku } from './sku-template';
import { isStorableText, lengthWithin, quote } from './text';
import { Fault, Validation } from './types';
import { expectedRegions, expectedTypes, TypePlan, typePlans } from './validate-plan';

export interface ValidationContext {
  /** Epoch milliseconds the event's time is judged against; passed in so tests and replays agree. */
  now: number;
  /** Omitted where organizations are not known yet; then only the slug's shape is checked. */
  orgExists?: (slug: string) => boolean;
}

// Older usage may already sit on an invoice that was closed; later usage means a skewed clock.
const MAX_AGE_MS = 35 * 86_400_000;
const MAX_AHEAD_MS = 5 * 60_000;
const ORG_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

type Json = Readonly<Record<string, unknown>>;

interface Attributes {
  size: string | null;
  gpu: string | null;
  memoryMb: number | null;
}

/** Checks one CloudEvents usage event against the contract and the catalog, reporting every
 *  fault at once so a host can fix its payload in one round trip. A null field counts as absent. */
export function validateEvent(raw: unknown, ctx: ValidationContext): Validation {
  if (!isJsonObject(raw)) return { ok: false, errors: [{ path: '', message: 'must be an object' }] };
  const faults: Fault[] = [];
  if (raw.specversion !== '1.0') {
    faults.push(
      isAbsent(raw.specversion) ? required('specversion') : { path: 'specversion', message: "must be '1.0'" },
    );
  }
  const id = text(raw.id, 'id', 1, 128, faults);
  const source = text(raw.source, 'source', 1, 256, faults);
  const plan = typePlanOf(raw.type, faults);
  const time = timeOf(raw.time, ctx.now, faults);
  const data = raw.data;
  if (!isJsonObject(data)) {
    faults.push(isAbsent(data) ? required('data') : { path: 'data', message: 'must be an object' });
    return { ok: false, errors: faults };
  }
  const org = orgOf(data.org, ctx.orgExists, faults);
  const app = isAbsent(data.app) ? '' : text(data.app, 'data.app', 0, 128, faults);
  const resource = text(data.resource, 'data.resource', 1, 128, faults);
  const where = regionOf(data.region, faults);
  const quantity = quantityOf(data.quantity, plan, faults);
  const attributes = plan === undefined ? undefined : attributesOf(data, plan, faults);
  if (
    faults.length > 0 ||
    id === undefined ||
    source === undefined ||
    plan === undefined ||
    time === undefined ||
    org === undefined ||
    app === undefined ||
    resource === undefined ||
    where === undefined ||
    quantity === undefined ||
    attributes === undefined
  ) {
    return { ok: false, errors: faults };
  }
  // Every attribute the template names is a required enum that attributesOf just accepted,
  // so this only fails if the catalog's own load check has a hole.
  const sku = renderSku(plan.meter.skuParts, data, where);
  if (sku === undefined)
    return { ok: false, errors: [{ path: 'type', message: 'the catalog cannot derive a SKU for it' }] };
  return {
    ok: true,
    event: {
      id,
      source,
      type: plan.meter.type,
      time,
      org,
      app,
      resource,
      region: where.code,
      quantity,
      sku,
      ...attributes,
    },
  };
}

function text(value: unknown, path: string, min: number, max: number, faults: Fault[]): string | undefined {
  if (isAbsent(value)) return fail(faults, required(path));
  if (typeof value !== 'string') return fail(faults, { path, message: 'must be a string' });
  if (!lengthWithin(value, min, max)) {
    return fail(faults, {
      path,
      message: min === 0 ? `must be at most ${max} characters` : `must be ${min} to ${max} characters`,
    });
  }
  if (!isStorableText(value))
    return fail(faults, { path, message: 'must not contain control characters or unpaired surrogates' });
  return value;
}

function typePlanOf(value: unknown, faults: Fault[]): TypePlan | undefined {
  if (isAbsent(value)) return fail(faults, required('type'));
  if (typeof value !== 'string') return fail(faults, { path: 'type', message: 'must be a string' });
  return (
    typePlans.get(value) ?? fail(faults, { path: 'type', message: `unknown type ${quote(value)}; ${expectedTypes}` })
  );
}

function timeOf(value: unknown, now: number, faults: Fault[]): number | undefined {
  if (isAbsent(value)) return fail(faults, required('time'));
  if (typeof value !== 'string') return fail(faults, { path: 'time', message: 'must be a string' });
  const time = parseRfc3339(value);
  if (isProblem(time)) return fail(faults, { path: 'time', message: time.message });
  if (time < now - MAX_AGE_MS) return fail(faults, { path: 'time', message: 'is more than 35 days in the past' });
  if (time > now + MAX_AHEAD_MS) return fail(faults, { path: 'time', message: 'is more than 5 minutes in the future' });
  return time;
}

function orgOf(value: unknown, orgExists: ValidationContext['orgExists'], faults: Fault[]): OrgId | undefined {
  const path = 'data.org';
  if (isAbsent(value)) return fail(faults, required(path));
  if (typeof value !== 'string') return fail(faults, { path, message: 'must be a string' });
  if (!ORG_SLUG.test(value)) {
    return fail(faults, {
      path,
      message: "must be a slug of 1 to 63 lowercase letters, digits and '-', not starting with '-'",
    });
  }
  if (orgExists !== undefined && !orgExists(value))
    return fail(faults, { path, message: `unknown organization ${quote(value)}` });
  return asValidatedOrg(value);
}

function regionOf(value: unknown, faults: Fault[]): Region | undefined {
  const path = 'data.region';
  if (isAbsent(value)) return fail(faults, required(path));
  if (typeof value !== 'string') return fail(faults, { path, message: 'must be a string' });
  return lookupRegion(value) ?? fail(faults, { path, message: `unknown region ${quote(value)}; ${expectedRegions}` });
}

/** The type decides integer-ness; with an unknown type the rest is still checked so the host
 *  hears about every fault at once. */
function quantityOf(value: unknown, plan: TypePlan | undefined, faults: Fault[]): string | undefined {
  const path = 'data.quantity';
  if (isAbsent(value)) return fail(faults, required(path));
  if (typeof value === 'string') return fail(faults, { path, message: 'must be a JSON number, not a string' });
  if (typeof value !== 'number') return fail(faults, { path, message: 'must be a number' });
  if (!Number.isFinite(value)) return fail(faults, { path, message: 'must be finite' });
  if (value < 0) return fail(faults, { path, message: 'must not be negative' });
  const integer = plan !== undefined && plan.meter.integer;
  if (integer && !Number.isInteger(value)) return fail(faults, { path, message: plan.notIntegerMessage });
  const quantity = canonicalQuantity(value, integer);
  return isProblem(quantity) ? fail(faults, { path, message: quantity.message }) : quantity;
}

/** Attributes the type does not take are ignored: hosts send one payload shape for every type. */
function attributesOf(data: Json, plan: TypePlan, faults: Fault[]): Attributes | undefined {
  const attributes: Attributes = { size: null, gpu: null, memoryMb: null };
  let ok = true;
  for (const rule of plan.attributes) {
    const value = data[rule.name];
    let message: string | undefined;
    if (isAbsent(value)) {
      if (rule.required) message = rule.requiredMessage;
    } else if (rule.kind === 'enum') {
      if (typeof value !== 'string') message = 'must be a string';
      else if (!rule.values.has(value)) message = `unknown ${rule.name} ${quote(value)}; ${rule.expected}`;
      else attributes[rule.field] = value;
    } else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rule.min) {
      message = rule.message;
    } else {
      attributes[rule.field] = value;
    }
    if (message !== undefined) {
      faults.push({ path: rule.path, message });
      ok = false;
    }
  }
  return ok ? attributes : undefined;
}

function required(path: string): Fault {
  return { path, message: 'is required' };
}

/** Records a fault and yields undefined, so each check reads as one line. */
function fail(faults: Fault[], fault: Fault): undefined {
  faults.push(fault);
  return undefined;
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
