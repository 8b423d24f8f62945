import type { INestApplicationContext } from '@nestjs/common';
import { TermsConflictError, TermsInputError, TermsNotFoundError } from './terms-errors';
import { ChangeAuthor, TermsChange, TermsService } from './terms.service';

export const TERMS_USAGE = `  price set SKU UNIT_PRICE|--tiers '[{"up_to":"3600","unit_price":"0"},{"up_to":null,"unit_price":"0.000694"}]'
            [--mode graduated|volume] --from RFC3339_HOUR [--org ORG] [--dry-run]
  price list [--org ORG]
  price rm ID [--dry-run]
  commit set ORG MONTHLY_MINIMUM --from YYYY-MM [--dry-run]
  commit list ORG
  credit grant ORG AMOUNT --reason TEXT [--expires RFC3339] [--dry-run]
  credit list ORG`;

// The CLI is the billing team at a terminal: the operator, like the operator token over HTTP.
const WHO: ChangeAuthor = { actor: 'operator', via: 'cli' };

const VALUED = new Set(['--tiers', '--mode', '--from', '--org', '--reason', '--expires']);
const SWITCHES = new Set(['--dry-run']);

class UsageError extends Error {}

/** Positional arguments and `--flag value` / `--switch` options; an unknown option is a usage error. */
function parse(args: string[]): { positional: string[]; flags: Map<string, string>; dryRun: boolean } {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  let dryRun = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (SWITCHES.has(a)) dryRun = true;
    else if (VALUED.has(a)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags.set(a, v);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else positional.push(a);
  }
  return { positional, flags, dryRun };
}

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

function report<T>(change: TermsChange<T>, what: string, [verb, done]: [string, string], replaced: string): void {
  console.log(change.dryRun ? `dry run: would ${verb} ${what} (nothing written):` : `${done} ${what}:`);
  print(change.value);
  if (change.replaces === null) console.log(`${replaced}: nothing`);
  else {
    console.log(`${replaced}:`);
    print(change.replaces);
  }
}

async function run(terms: TermsService, group: string, command: string | undefined, args: string[]): Promise<boolean> {
  const { positional: p, flags, dryRun } = parse(args);
  const opts = { dryRun };
  switch (`${group} ${command ?? ''}`) {
    case 'price set': {
      if (p.length < 1 || p.length > 2) return false;
      const body: Record<string, unknown> = { sku: p[0], effective_from: flags.get('--from') };
      if (flags.has('--org')) body['org'] = flags.get('--org');
      if (p[1] !== undefined) body['unit_price'] = p[1];
      const tiers = flags.get('--tiers');
      if (tiers !== undefined) {
        try {
          body['tiers'] = JSON.parse(tiers);
        } catch {
          throw new TermsInputError([
            { path: 'tiers', message: 'is not JSON: give a JSON array of {"up_to", "unit_price"}' },
          ]);
        }
      }
      if (flags.has('--mode')) body['tier_mode'] = flags.get('--mode');
      const change = await terms.setPrice(body, WHO, opts);
      report(
        change,
        `the price entry${change.value.id ? ` ${change.value.id}` : ''}`,
        ['create', 'created'],
        'it replaces (the entry in force before, from its effective_from)',
      );
      return true;
    }
    case 'price list':
      if (p.length !== 0) return false;
      print(await terms.listPrices(flags.get('--org')));
      return true;
    case 'price rm': {
      if (p.length !== 1) return false;
      const change = await terms.removePrice(p[0]!, WHO, opts);
      console.log(
        change.dryRun ? `dry run: would remove price entry ${p[0]} (nothing written):` : `removed price entry ${p[0]}:`,
      );
      print(change.value);
      return true;
    }
    case 'commit set': {
      if (p.length !== 2) return false;
      const change = await terms.setCommitment(p[0]!, { monthly_minimum: p[1], from: flags.get('--from') }, WHO, opts);
      report(
        change,
        `the monthly minimum of ${p[0]}`,
        ['set', 'set'],
        'it replaces (the commitment in force in that month before)',
      );
      return true;
    }
    case 'commit list':
      if (p.length !== 1) return false;
      print(await terms.listCommitments(p[0]!));
      return true;
    case 'credit grant': {
      if (p.length !== 2) return false;
      const body: Record<string, unknown> = { amount: p[1], reason: flags.get('--reason') };
      if (flags.has('--expires')) body['expires_at'] = flags.get('--expires');
      const change = await terms.grantCredit(p[0]!, body, WHO, opts);
      console.log(
        change.dryRun
          ? `dry run: would grant credit to ${p[0]} (nothing written):`
          : `granted credit ${change.value.id} to ${p[0]}:`,
      );
      print(change.value);
      return true;
    }
    case 'credit list':
      if (p.length !== 1) return false;
      print(await terms.listCredits(p[0]!));
      return true;
  }
  return false;
}

/**
 * `billing price|commit|credit ...`: the same TermsService as the HTTP endpoints. Answers the
 * exit code: 0 done, 1 refused (each fault with its path, or the 409's reason in words), 2 usage.
 */
export async function runTermsCommand(app: INestApplicationContext, group: string, rest: string[]): Promise<number> {
  try {
    if (await run(app.get(TermsService), group, rest[0], rest.slice(1))) return 0;
    console.error(`usage: npm run billing -- ${group} ...\n${TERMS_USAGE}`);
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`billing: ${e.message}\nusage:\n${TERMS_USAGE}`);
      return 2;
    }
    if (e instanceof TermsInputError) {
      console.error(`billing: ${e.message}:`);
      for (const f of e.faults) console.error(`  ${f.path === '' ? '(the input)' : f.path}: ${f.message}`);
      return 1;
    }
    if (e instanceof TermsConflictError) {
      const why = { 'closed-month': 'a closed month', duplicate: 'a duplicate', 'in-force': 'in force' }[e.reason];
      console.error(`billing: refused (${why}): ${e.message}`);
      return 1;
    }
    if (e instanceof TermsNotFoundError) {
      console.error(`billing: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

export const TERMS_GROUPS = new Set(['price', 'commit', 'credit']);
