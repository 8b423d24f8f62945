import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { classifyAddress, refusedTarget, webhookUrlProblem } from '@metering/billing';

/** Refused by the address rules (CONTRACT.md, "Spend alerts"): a 400 when saving, a failed attempt when delivering. */
export class WebhookTargetRefused extends Error {}

/**
 * Why a webhook may not go to `url`, or null when it may: not http(s), a host that does not
 * resolve, or one with a loopback, private or link-local address that is not allowed.
 */
export async function webhookTargetProblem(url: string, allowHosts: readonly string[]): Promise<string | null> {
  const text = webhookUrlProblem(url);
  if (text) return text;
  const host = new URL(url).hostname;
  const bare = host.replace(/^\[|\]$/g, '');
  if (classifyAddress(bare) !== 'not-an-ip') return refusedTarget(host, [bare], allowHosts);
  let addresses: string[];
  try {
    addresses = (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
  } catch (e) {
    return `host '${host}' does not resolve (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
  }
  return refusedTarget(host, addresses, allowHosts);
}

/**
 * A lookup for http.request that applies the address rules to what it resolved, and connects
 * only to those addresses: the check and the connection see the same answer, so a name that
 * resolves to a public address at the check and to an internal one a moment later (DNS
 * rebinding) cannot get past it.
 */
export function guardedLookup(allowHosts: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const refused = refusedTarget(
        hostname,
        addresses.map((a) => a.address),
        allowHosts,
      );
      if (refused) return callback(new WebhookTargetRefused(refused), '', 0);
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
