import { isStorableText } from '@metering/catalog';
import type { OrgId } from '@metering/domain';
import { isPeriod, type Period } from '@metering/domain';
import {
  codePoints,
  decimalFault,
  InputFault,
  instantOf,
  isObject,
  isZeroDecimal,
  unknownFields,
  Validated,
} from './input';
import type { Commitment } from './types';

export const MONEY_PLACES = 2;
export const MAX_REASON_CHARS = 500;

/**
 * Checks a `POST /v1/billing/orgs/{org}/commitments` body for the organization of the path.
 * Whether `from` is a month already closed is the store's to refuse (409).
 */
export function validateCommitmentBody(org: OrgId, body: unknown): Validated<Commitment> {
  if (!isObject(body)) return { ok: false, faults: [{ path: '', message: 'must be a JSON object' }] };
  const faults: InputFault[] = unknownFields(body, ['monthly_minimum', 'from'], 'a commitment');
  const minimum = body['monthly_minimum'];
  if (minimum === undefined)
    faults.push({
      path: 'monthly_minimum',
      message: 'is required: an amount in USD, e.g. "1000.00" ("0" ends a commitment)',
    });
  else {
    const fault = decimalFault(minimum, MONEY_PLACES, '1000.00');
    if (fault) faults.push({ path: 'monthly_minimum', message: fault });
  }
  const from = body['from'];
  if (typeof from !== 'string' || !isPeriod(from))
    faults.push({ path: 'from', message: 'is required: a month, YYYY-MM' });
  if (faults.length > 0) return { ok: false, faults };
  return { ok: true, value: { org, from: from as Period, monthlyMinimum: minimum as string } };
}

/** A credit grant as the operator posts it, checked; the store adds id, org, remaining and granted_at. */
export interface NewCreditGrant {
  amount: string;
  reason: string;
  expiresAt: number | null;
}

/** Checks a `POST /v1/billing/orgs/{org}/credits` body. */
export function validateCreditBody(body: unknown): Validated<NewCreditGrant> {
  if (!isObject(body)) return { ok: false, faults: [{ path: '', message: 'must be a JSON object' }] };
  const faults: InputFault[] = unknownFields(body, ['amount', 'reason', 'expires_at'], 'a credit grant');
  const amount = body['amount'];
  if (amount === undefined) faults.push({ path: 'amount', message: 'is required: an amount in USD, e.g. "500.00"' });
  else {
    const fault = decimalFault(amount, MONEY_PLACES, '500.00');
    if (fault) faults.push({ path: 'amount', message: fault });
    else if (isZeroDecimal(amount as string)) faults.push({ path: 'amount', message: 'must be positive' });
  }
  const reason = body['reason'];
  if (typeof reason !== 'string')
    faults.push({
      path: 'reason',
      message: `is required: why the credit is granted, 1 to ${MAX_REASON_CHARS} characters`,
    });
  else if (reason.trim() === '' || codePoints(reason) > MAX_REASON_CHARS)
    faults.push({ path: 'reason', message: `must have 1 to ${MAX_REASON_CHARS} characters, not only spaces` });
  else if (!isStorableText(reason))
    faults.push({ path: 'reason', message: 'must not contain control characters or unpaired surrogates' });
  let expiresAt: number | null = null;
  const expires = body['expires_at'];
  if (expires !== undefined && expires !== null) {
    const t = instantOf(expires);
    if (typeof t === 'string') faults.push({ path: 'expires_at', message: t });
    else expiresAt = t;
  }
  if (faults.length > 0) return { ok: false, faults };
  return { ok: true, value: { amount: amount as string, reason: reason as string, expiresAt } };
}
