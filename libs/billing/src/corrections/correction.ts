import { allSkus, isStorableText, region, unit } from '@metering/catalog';
import { asValidatedOrg, Dec, type OrgId } from '@metering/domain';
import { codePoints, InputFault, instantOf, isObject, unknownFields, Validated } from '../terms/input';

/** A correction of usage by the billing team (CONTRACT.md, "Corrections"): a signed quantity for one resource's hour. */
export interface Correction {
  id: string;
  org: OrgId;
  /** Epoch ms, UTC: the usage it corrects falls in this time's hour, as an event of this time would. */
  time: number;
  region: string;
  app: string;
  resource: string;
  sku: string;
  /** The meter type the SKU belongs to. */
  type: string;
  /** Canonical signed decimal: '-3600', '0.5'; never zero. */
  quantity: string;
  reason: string;
}

export type CorrectionStatus = 'pending' | 'applied' | 'refused';

const FIELDS = ['id', 'org', 'time', 'region', 'app', 'resource', 'sku', 'quantity', 'reason'] as const;
const SIGNED = /^(-?)(0|[1-9]\d{0,17})(?:\.(\d{1,9}))?$/;
const SKUS = new Map(allSkus().map((s) => [s.sku, s]));

function text(body: Record<string, unknown>, name: string, min: number, max: number, faults: InputFault[]): string {
  const v = body[name];
  if (typeof v !== 'string' || codePoints(v) < min || codePoints(v) > max || !isStorableText(v)) {
    faults.push({ path: name, message: `is required: a string of ${min}..${max} printable characters` });
    return '';
  }
  return v;
}

/** The canonical form of a signed decimal string, or the fault's message. */
export function signedQuantity(value: unknown, integer: boolean): string | { fault: string } {
  const m = typeof value === 'string' ? SIGNED.exec(value) : null;
  if (!m) return { fault: 'must be a signed decimal string of at most 9 decimal places, e.g. "-3600"' };
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  if (integer && fraction !== '') return { fault: "must be a whole number: the SKU's unit is counted in whole units" };
  if (m[2] === '0' && fraction === '') return { fault: 'must not be zero' };
  return `${m[1]}${m[2]}${fraction ? `.${fraction}` : ''}`;
}

/** Checks a `POST /v1/billing/corrections` body. Whether the org exists, and whether the hour would go below zero, is the store's to say. */
export function validateCorrection(body: unknown): Validated<Correction> {
  if (!isObject(body)) return { ok: false, faults: [{ path: '', message: 'must be a JSON object' }] };
  const faults: InputFault[] = unknownFields(body, FIELDS, 'a correction');
  const id = text(body, 'id', 1, 128, faults);
  const org = text(body, 'org', 1, 64, faults);
  const app = body['app'] === undefined ? '' : text(body, 'app', 0, 128, faults);
  const resource = text(body, 'resource', 1, 256, faults);
  const reason = text(body, 'reason', 1, 500, faults);
  const time = instantOf(body['time']);
  if (typeof time === 'string') faults.push({ path: 'time', message: time });
  const regionCode = body['region'];
  if (typeof regionCode !== 'string' || !region(regionCode))
    faults.push({ path: 'region', message: 'must be a region code of the catalog, e.g. "ord"' });
  const sku = typeof body['sku'] === 'string' ? SKUS.get(body['sku']) : undefined;
  if (!sku) faults.push({ path: 'sku', message: 'must be a SKU of the catalog, e.g. "machine.runtime/shared-cpu-1x"' });
  const quantity = signedQuantity(body['quantity'], (sku && unit(sku.unit)?.integer) ?? false);
  if (typeof quantity !== 'string') faults.push({ path: 'quantity', message: quantity.fault });
  if (faults.length > 0 || typeof time !== 'number' || typeof quantity !== 'string' || !sku)
    return { ok: false, faults };
  return {
    ok: true,
    value: {
      id,
      org: asValidatedOrg(org),
      time,
      region: regionCode as string,
      app,
      resource,
      sku: sku.sku,
      type: sku.type,
      quantity,
      reason,
    },
  };
}

/** Whether two corrections say the same (a re-send of one id must; another content under it is a conflict). */
export function sameCorrection(a: Correction, b: Correction): boolean {
  return FIELDS.every((f) => (f === 'time' ? a.time === b.time : a[f] === b[f]));
}

/** Whether adding `quantity` to the hour's `current` stays at or above zero: the rule for the API's 422 and the fold's refusal alike. */
export function staysNonNegative(current: string, quantity: string): boolean {
  return Dec.of(current).add(Dec.of(quantity)).units >= 0n;
}
