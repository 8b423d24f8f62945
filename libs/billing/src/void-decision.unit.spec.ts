import { asOperatorOrg, parsePeriod } from '@metering/domain';
import { contentHash, InvoiceLine } from './invoice';
import { decideVoid, RecordedInvoice, VoidInvoice, VoidState } from './void-decision';

const OCT = parsePeriod('2026-10')!;
const lines: InvoiceLine[] = [
  {
    kind: 'usage',
    sku: 'ip.dedicated',
    usage_period: OCT,
    quantity: '2678400',
    unit: 'second',
    unit_price: '0.000000771605',
    amount: '2.07',
    description: 'Dedicated IPv4, 2026-10',
  },
  {
    kind: 'usage',
    sku: 'volume.storage',
    usage_period: OCT,
    quantity: '259200000',
    unit: 'gb-second',
    unit_price: '0.0000000578704',
    amount: '15.00',
    description: 'Volume storage, 2026-10',
  },
];
const minimum: InvoiceLine = {
  kind: 'minimum',
  sku: null,
  usage_period: OCT,
  quantity: null,
  unit: null,
  unit_price: null,
  amount: '2.93',
  description: 'Monthly minimum, 2026-10',
};
const credit: InvoiceLine = { ...minimum, kind: 'credit', amount: '-5.00', description: 'Credit applied, 2026-10' };
const invoice: RecordedInvoice = {
  number: 'INV-000007',
  org: asOperatorOrg('acme'),
  period: OCT,
  lines,
  credit_note: null,
};
const command: VoidInvoice = { number: 'INV-000007', reason: 'duplicate', issuedAt: '2026-11-03T10:00:00.000Z' };

function voided(state: VoidState = { invoice, firstNumber: 12n, creditsDrawn: [] }, cmd = command) {
  const decision = decideVoid(state, cmd);
  if (decision.type !== 'InvoiceVoided') throw new Error(`expected InvoiceVoided, got ${decision.type}`);
  return decision;
}

describe('decideVoid', () => {
  it('given an invoice that stands, when voided, then a credit note with the first free number negates every line to a zero balance', () => {
    const { creditNote } = voided();
    expect(creditNote).toMatchObject({
      number: 'CN-000012',
      seq: 12n,
      invoice: 'INV-000007',
      org: 'acme',
      period: OCT,
      currency: 'USD',
      issued_at: command.issuedAt,
      reason: 'duplicate',
      total: '-17.07',
    });
    expect(creditNote.lines.map((l) => [l.quantity, l.amount, l.description])).toEqual([
      ['-2678400', '-2.07', 'Credit: Dedicated IPv4, 2026-10'],
      ['-259200000', '-15.00', 'Credit: Volume storage, 2026-10'],
    ]);
  });

  it('given an invoice that drew no credit, when voided, then nothing is given back', () => {
    expect(voided().creditReturned).toEqual([]);
  });

  it('given an invoice with a minimum and a credit line, when voided, then the credit note negates the money lines too, quantity staying null, and gives back what the invoice drew', () => {
    const withTerms: RecordedInvoice = { ...invoice, lines: [...lines, minimum, credit] };
    const creditsDrawn = [
      { grantId: 'g-promo', amount: '4.00' },
      { grantId: 'g-sla', amount: '1.00' },
    ];
    const { creditNote, event, creditReturned } = voided({ invoice: withTerms, firstNumber: 12n, creditsDrawn });
    expect(
      creditNote.lines.slice(2).map((l) => [l.kind, l.sku, l.quantity, l.unit_price, l.amount, l.description]),
    ).toEqual([
      ['minimum', null, null, null, '-2.93', 'Credit: Monthly minimum, 2026-10'],
      ['credit', null, null, null, '5.00', 'Credit: Credit applied, 2026-10'],
    ]);
    // 17.07 + 2.93 - 5.00 = 15.00, all of it negated.
    expect(creditNote.total).toBe('-15.00');
    expect(event.lines).toEqual(creditNote.lines);
    expect(creditReturned).toEqual(creditsDrawn);
  });

  it('hashes the credit note over its content, with the invoice it voids, and never its issue time or reason', () => {
    const { creditNote } = voided();
    const { number, org, period, currency, lines: negated, total } = creditNote;
    expect(creditNote.content_hash).toBe(
      contentHash({ number, invoice: 'INV-000007', org, period, currency, lines: negated, total }),
    );
    expect(
      voided(undefined, { ...command, issuedAt: '2027-01-01T00:00:00.000Z', reason: 'other' }).creditNote.content_hash,
    ).toBe(creditNote.content_hash);
    expect(voided({ invoice, firstNumber: 13n, creditsDrawn: [] }).creditNote.content_hash).not.toBe(
      creditNote.content_hash,
    );
  });

  it('announces the credit note with a credit_note.issued event', () => {
    const { creditNote, event } = voided();
    expect(event).toEqual({
      type: 'credit_note.issued',
      number: 'CN-000012',
      invoice: 'INV-000007',
      org: 'acme',
      period: OCT,
      currency: 'USD',
      issued_at: Date.parse(command.issuedAt),
      total: '-17.07',
      content_hash: creditNote.content_hash,
      lines: creditNote.lines,
    });
  });

  it('given a voided invoice, when voided again, then it answers its credit note and makes nothing', () => {
    expect(
      decideVoid(
        {
          invoice: { ...invoice, credit_note: 'CN-000012' },
          firstNumber: 20n,
          creditsDrawn: [{ grantId: 'g1', amount: '5.00' }],
        },
        command,
      ),
    ).toEqual({
      type: 'AlreadyVoid',
      invoice: 'INV-000007',
      creditNote: 'CN-000012',
    });
  });

  it('given no such invoice, then it says so', () => {
    expect(decideVoid({ invoice: null, firstNumber: 1n, creditsDrawn: [] }, command)).toEqual({
      type: 'UnknownInvoice',
      invoice: 'INV-000007',
    });
  });
});
