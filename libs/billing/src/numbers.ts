/** Invoices and credit notes share one gapless sequence: INV-000001, CN-000002, ... */
export function documentNumber(kind: 'invoice' | 'credit-note', seq: bigint | number): string {
  return `${kind === 'invoice' ? 'INV' : 'CN'}-${String(seq).padStart(6, '0')}`;
}

export function parseDocumentNumber(text: string): { kind: 'invoice' | 'credit-note'; seq: bigint } | null {
  const m = /^(INV|CN)-(\d{6,})$/.exec(text);
  return m ? { kind: m[1] === 'INV' ? 'invoice' : 'credit-note', seq: BigInt(m[2]!) } : null;
}
