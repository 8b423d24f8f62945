/**
 * The billing team's command line: `npm run billing -- <command>`.
 *
 *   close YYYY-MM             close a period: barrier, then one invoice per organization
 *   void INV-000042 [reason]  issue a credit note negating an invoice
 *   preview ORG YYYY-MM       the invoice closing would make now (for the open month: the running bill)
 *   reconcile                 projected against billed usage, per closed period, org and SKU
 *   verify                    rebuild the projections from Kafka in a scratch database, replay
 *                             every close there and compare every invoice's content hash
 *   price set|list|rm, commit set|list, credit grant|list
 *                             the commercial terms (terms-cli.ts), through the same service as
 *                             the HTTP endpoints; each change takes --dry-run
 *
 * Runs in-process against DATABASE_URL and KAFKA_BROKERS, like the invoicing service; verify
 * connects as the owner, DATABASE_OWNER_URL, since it creates a scratch database.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@metering/service';
import {
  BarrierTimeoutError,
  InvalidPeriodError,
  NOTHING_CLOSED,
  PeriodOpenError,
  UnknownDocumentError,
} from './errors';
import { CloseService } from './close.service';
import { DocumentsService } from './documents.service';
import { InvoicingCoreModule } from './invoicing-core.module';
import { OutboxRelay } from './outbox.relay';
import { ProgressBar } from './progress';
import { verify } from './verify';
import { runTermsCommand, TERMS_GROUPS, TERMS_USAGE } from './terms-cli';
import { MissingPriceError } from '@metering/billing';
import { asOperatorOrg, Dec, formatUsd, sumDec } from '@metering/domain';

const USAGE = `usage: npm run billing -- close YYYY-MM | void INV-NNNNNN [reason] | preview ORG YYYY-MM | reconcile | verify
or the commercial terms:
${TERMS_USAGE}`;

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === '-h') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (command === 'verify') {
    const report = await verify(config);
    for (const p of report.periods) {
      const bad = [
        ...p.mismatched,
        ...p.missing.map((n) => `${n} (not replayed)`),
        ...p.extra.map((o) => `${o} (only in the replay)`),
      ];
      console.log(
        `${p.period}: ${p.matched}/${p.invoices} invoices hash the same${bad.length > 0 ? `; differ: ${bad.join(', ')}` : ''}`,
      );
    }
    console.log(
      report.periods.length === 0
        ? 'no closed periods to verify'
        : `${report.ok ? 'verified' : 'MISMATCH'} in ${report.seconds.toFixed(1)} s`,
    );
    return report.ok ? 0 : 1;
  }
  const app = await NestFactory.createApplicationContext(InvoicingCoreModule.forConfig(config), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    if (TERMS_GROUPS.has(command)) return await runTermsCommand(app, command, rest);
    switch (command) {
      case 'close': {
        if (rest.length !== 1) break;
        const bar = new ProgressBar();
        const started = Date.now();
        const result = await app.get(CloseService).close(rest[0]!, {
          onProgress: (p) => bar.update(p.phase, p.done, p.total),
        });
        bar.end();
        const relayed = await app
          .get(OutboxRelay)
          .relay()
          .catch(() => -1);
        const total = sumDec(result.invoices.map((i) => Dec.of(i.total)));
        console.log(
          `${result.period}: ${result.created > 0 ? `${result.created} invoices created` : `already closed; ${result.invoices.length} invoices`} ` +
            `in ${((Date.now() - started) / 1000).toFixed(1)} s; total ${formatUsd(total)}` +
            (relayed < 0
              ? '; billing events wait in the outbox (Kafka unreachable): the invoicing service relays them'
              : ''),
        );
        for (const i of result.invoices.slice(0, 20))
          console.log(`  ${i.number}  ${i.org.padEnd(24)} ${i.total.padStart(14)}  ${i.content_hash.slice(0, 12)}`);
        if (result.invoices.length > 20) console.log(`  ... and ${result.invoices.length - 20} more`);
        return 0;
      }
      case 'void': {
        if (rest.length < 1) break;
        const { created, credit_note } = await app.get(DocumentsService).void(rest[0]!, rest.slice(1).join(' '));
        console.log(
          created
            ? `${credit_note.number} voids ${credit_note.invoice}`
            : `${credit_note.invoice} was already void (${credit_note.number})`,
        );
        print(credit_note);
        await app
          .get(OutboxRelay)
          .relay()
          .catch(() => undefined);
        return 0;
      }
      case 'preview':
        if (rest.length !== 2) break;
        print(await app.get(DocumentsService).preview(asOperatorOrg(rest[0]!), rest[1]!));
        return 0;
      case 'reconcile': {
        const { differences } = await app.get(DocumentsService).reconcile();
        if (differences.length === 0) console.log('every closed period is billed exactly as projected');
        else print({ differences });
        return differences.length === 0 ? 0 : 1;
      }
    }
    console.error(USAGE);
    return 2;
  } finally {
    await app.close();
  }
}

const KNOWN = [InvalidPeriodError, PeriodOpenError, BarrierTimeoutError, UnknownDocumentError, MissingPriceError];

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const known = KNOWN.some((k) => e instanceof k);
    const told =
      e instanceof BarrierTimeoutError
        ? `${e.message} ${NOTHING_CLOSED}`
        : known && e instanceof Error
          ? e.message
          : null;
    console.error(`billing: ${told ?? (e instanceof Error ? (e.stack ?? e.message) : String(e))}`);
    process.exit(1);
  },
);
