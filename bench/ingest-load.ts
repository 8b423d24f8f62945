import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

export interface LoadResult {
  seconds: number;
  events: number;
  /** Per request, milliseconds from sending to the whole 202 answer. */
  latenciesMs: number[];
}

/** One POST /v1/events of a ready body over `agent`; the answer's status and text. */
export function post(
  agent: Agent,
  url: URL,
  token: string,
  body: Buffer | string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: '/v1/events',
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/cloudevents-batch+json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * `clients` hosts posting the prepared bodies over keep-alive connections, each taking the next
 * body as soon as its previous one is answered. Every answer must be a 202 accepting every event:
 * a benchmark that counts refusals as throughput would measure nothing.
 */
export async function postAll(
  baseUrl: string,
  token: string,
  bodies: readonly { body: Buffer; events: number }[],
  clients: number,
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latenciesMs: number[] = [];
  let next = 0;
  let events = 0;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < bodies.length; i = next++) {
          const t0 = process.hrtime.bigint();
          const res = await post(agent, url, token, bodies[i]!.body);
          latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const answer =
            res.status === 202 ? (JSON.parse(res.text) as { accepted: number; rejected: unknown[] }) : null;
          if (!answer || answer.accepted !== bodies[i]!.events || answer.rejected.length > 0) {
            throw new Error(`request ${i}: ${res.status} ${res.text.slice(0, 500)}`);
          }
          events += answer.accepted;
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, events, latenciesMs };
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where there is none. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
