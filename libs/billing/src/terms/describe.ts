import { meterType } from '@metering/catalog';
import type { Period } from '@metering/domain';
import type { TermsLine } from './types';

/** The words an invoice line reads as; the same texts as ../invoice.ts gives usage and adjustment lines. */
export function describeLine(kind: TermsLine['kind'], sku: string | null, usagePeriod: Period): string {
  switch (kind) {
    case 'minimum':
      return `Monthly minimum, ${usagePeriod}`;
    case 'credit':
      return `Credit applied, ${usagePeriod}`;
    default: {
      const s = sku ?? '';
      const [type, variant] = s.split('/');
      const name = meterType(type ?? s)?.name ?? type ?? s;
      const what = variant ? `${name} (${variant})` : name;
      return kind === 'usage'
        ? `${what}, ${usagePeriod}`
        : `${what}, ${usagePeriod}: usage reported after that period was invoiced`;
    }
  }
}
