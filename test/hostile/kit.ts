/** The vocabulary of the hostile corpus (see corpus.ts): what a case is, and the helpers its makers share. */
import { seeded } from '@metering/fleet';

/** The fleet simulator's seeded generator: the same corpus on every run. */
export { seeded };

export type Service = 'collector' | 'api' | 'invoicing';

export type Category =
  | 'json'
  | 'types'
  | 'numbers'
  | 'nesting'
  | 'unicode'
  | 'oversize'
  | 'content-type'
  | 'injection'
  | 'headers'
  | 'auth'
  | 'method'
  | 'protocol'
  | 'slow';

export interface Pace {
  /** What trickles: the request head or the body. */
  part: 'head' | 'body';
  bytesPerTick: number;
  tickMs: number;
  /** Send only this many bytes of that part, then fall silent (the connection stays open). */
  stopAfter?: number;
  /** After stopAfter, hang up instead of holding the connection. */
  abort?: boolean;
}

export interface HostileRequest {
  service: Service;
  method: string;
  /** The request target exactly as it goes on the wire (latin1: any byte may be sent). */
  target: string;
  /** Sent in this order, verbatim. Host, Connection: close and Content-Length are added unless given. */
  headers: [string, string][];
  /** Raw body, or a function making it (large bodies are made only when sent). */
  body?: Buffer | (() => Buffer);
  /** Frame the body as chunked (no Content-Length). */
  chunked?: boolean;
  pace?: Pace;
  /** The whole request as raw bytes, for malformed request lines and heads. */
  raw?: Buffer;
}

export interface Expectation {
  /** The exact status; '4xx' only where several are defensible; 'none' where the client hung up itself. */
  status: number | '4xx' | 'none';
  /** Words the problem's detail must contain. */
  detail?: RegExp;
  /** Collector 202s: nothing accepted, and the fault paths of each event, in order. */
  rejected?: string[][];
  /** A 200 to a legal but hostile value (a free-text filter): the answer must hold no rows. */
  noRows?: boolean;
  /** The paths of the problem's `errors`, in order. */
  errors?: string[];
  /** Whether a 4xx must be problem+json; false only where Node answers before any handler can. */
  problem?: boolean;
}

export interface HostileCase extends HostileRequest {
  name: string;
  category: Category;
  expect: Expectation;
  /** The time the whole answer must arrive within, in ms (default DEFAULT_BOUND_MS). */
  boundMs?: number;
  /** Too slow for every run: only with CHAOS=1. */
  chaosOnly?: boolean;
}

export interface CorpusContext {
  seed: number;
  now: number;
  /** The organization every event names; its usage must not move. */
  org: string;
  tokens: { host: string; revokedHost: string; operator: string; admin: string; viewer: string; otherAdmin: string };
}

export const DEFAULT_BOUND_MS = 5_000;
export const HOSTILE_ID_PREFIX = 'hostile-';

// Node's defaults and ours (libs/service/src/bootstrap.ts): 10 s for the head, 30 s for the
// whole request, checked every second; the bound adds room for a loaded machine.
export const HEADERS_TIMEOUT_BOUND_MS = 14_000;
export const REQUEST_TIMEOUT_BOUND_MS = 35_000;

export const KiB = 1024;
export const MiB = 1024 * KiB;

export type Json = Record<string, unknown>;

/** JSON text in which string values `@raw:<text>` are replaced by <text> itself (numbers JSON can write but JS cannot hold). */
export function jsonWithRaw(value: unknown): string {
  return JSON.stringify(value).replace(/"@raw:([^"]*)"/g, (_, t: string) => t);
}

export const nestedArrays = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
export const nestedObjects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
export const enc = (s: string) => encodeURIComponent(s);

/** What every maker of cases uses: the context, the seeded generator, event builders, the collector's request shapes. */
export function makeKit(ctx: CorpusContext, cases: HostileCase[]) {
  const rand = seeded(ctx.seed);
  const int = (n: number) => Math.floor(rand() * n);
  let serial = 0;
  const nextId = () => `${HOSTILE_ID_PREFIX}${serial++}`;
  const time = new Date(ctx.now - 5 * 60_000).toISOString();
  const add = (c: HostileCase): void => {
    cases.push(c);
  };
  /** A valid event of the target organization: sent whole, it would be counted. */
  const event = (top: Json = {}, data: Json = {}): Json => {
    const e: Json = {
      specversion: '1.0',
      id: nextId(),
      source: 'host/ord-1',
      type: 'machine.runtime',
      time,
      data: { org: ctx.org, app: 'web', resource: 'm_1', region: 'ord', quantity: 60, size: 'shared-cpu-1x' },
      ...top,
    };
    const d = e['data'] as Json;
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) {
      for (const [k, v] of Object.entries(data)) {
        if (v === undefined) delete d[k];
        else d[k] = v;
      }
    }
    for (const [k, v] of Object.entries(top)) if (v === undefined) delete e[k];
    return e;
  };
  const volume = (data: Json = {}, top: Json = {}) =>
    event({ type: 'volume.storage', ...top }, { size: undefined, ...data });
  const egress = (data: Json = {}, top: Json = {}) =>
    event({ type: 'network.egress', ...top }, { size: undefined, ...data });
  const ip = (data: Json = {}, top: Json = {}) => event({ type: 'ip.dedicated', ...top }, { size: undefined, ...data });
  const gpu = (data: Json = {}, top: Json = {}) =>
    event({ type: 'gpu.runtime', ...top }, { size: undefined, gpu: 'a10', ...data });
  const validBatch = (n: number) => Array.from({ length: n }, (_, i) => [event, volume, egress, ip, gpu][i % 5]!());

  const host = (t = ctx.tokens.host): [string, string] => ['Authorization', `Bearer ${t}`];
  const json: [string, string] = ['Content-Type', 'application/json'];

  const post = (
    name: string,
    category: Category,
    body: Buffer | (() => Buffer),
    expect: Expectation,
    extra: Partial<HostileCase> = {},
  ): void =>
    add({
      name,
      category,
      service: 'collector',
      method: 'POST',
      target: '/v1/events',
      headers: [host(), json],
      body,
      expect,
      ...extra,
    });
  /** One request of events that the collector takes (202) but must reject every one of, each with exactly these fault paths. */
  const rejectAll = (name: string, category: Category, events: unknown[] | string, paths: string[][]) =>
    post(name, category, Buffer.from(typeof events === 'string' ? events : jsonWithRaw(events)), {
      status: 202,
      rejected: paths,
    });
  const rejectOne = (name: string, category: Category, e: unknown, paths: string[]) =>
    rejectAll(name, category, [e], [paths]);

  /** A fresh valid batch of two events of the target organization. */
  const one = () => Buffer.from(JSON.stringify(validBatch(2)));
  return {
    ctx,
    int,
    nextId,
    time,
    add,
    event,
    volume,
    egress,
    ip,
    gpu,
    validBatch,
    host,
    json,
    post,
    rejectAll,
    rejectOne,
    one,
  };
}

export type Kit = ReturnType<typeof makeKit>;
