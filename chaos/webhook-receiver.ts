import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  signature: string;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/**
 * A webhook receiver on 127.0.0.1 that answers each request with `answer(path, n, body)` (n
 * counts that path's requests from 1): a status, or a redirect with { status, location }.
 * Records every request. For the alert tests and the chaos scenario `alerts`.
 */
export async function startReceiver(
  answer: (path: string, n: number, body: string) => number | { status: number; location: string } = () => 200,
): Promise<{ url: string; received: ReceivedHook[]; close(): Promise<void> }> {
  const received: ReceivedHook[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const body = Buffer.concat(chunks).toString('utf8');
      const a = answer(path, n, body);
      const status = typeof a === 'number' ? a : a.status;
      received.push({ path, signature: String(req.headers['metering-signature'] ?? ''), body, status });
      if (typeof a !== 'number') res.setHeader('location', a.location);
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
