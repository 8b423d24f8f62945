import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { classifyAddress, refusedTarget } from '@metering/billing';
import { guardedLookup, WebhookTargetRefused } from '@metering/service';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type PostOutcome =
  { kind: 'answered'; status: number } | { kind: 'refused'; error: string } | { kind: 'error'; error: string };

/**
 * One POST of a webhook body: redirects are not followed (a 3xx is an answer like any other,
 * not a 2xx), the whole exchange is cut at `timeoutMs`, and the address rules are applied to
 * the addresses the connection itself resolves (guardedLookup), so DNS rebinding cannot reach
 * an internal address after the check when the alert was saved.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  allowHosts: readonly string[],
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<PostOutcome> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  // An IP literal is never looked up: its rules apply here.
  if (classifyAddress(host) !== 'not-an-ip') {
    const refused = refusedTarget(u.hostname, [host], allowHosts);
    if (refused) return Promise.resolve({ kind: 'refused', error: refused });
  }
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const req = send(
      u,
      {
        method: 'POST',
        lookup: guardedLookup(allowHosts),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body).toString(),
          'user-agent': 'metering-webhooks/1',
        },
        agent: false,
      },
      (res) => {
        // The answer's body is not needed; it is drained so that the socket closes.
        res.resume();
        res.on('end', () => done({ kind: 'answered', status: res.statusCode ?? 0 }));
        res.on('error', (e) => done({ kind: 'error', error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) =>
      done(
        e instanceof WebhookTargetRefused ? { kind: 'refused', error: e.message } : { kind: 'error', error: e.message },
      ),
    );
    req.end(body);
  });
}
