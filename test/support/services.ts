import type { INestApplication } from '@nestjs/common';
import { storedPositions } from '@metering/db';
import { untilFolded } from '@metering/kafka';
import type { MeteringConfig } from '@metering/service';
import { createAggregatorApp } from '../../apps/aggregator/src/app';
import { createApiApp } from '../../apps/api/src/app';
import { createCollectorApp } from '../../apps/collector/src/app';
import { createInvoicingApp } from '../../apps/invoicing/src/app';

export interface RunningServices {
  apps: {
    collector: INestApplication;
    aggregator: INestApplication;
    api: INestApplication;
    invoicing: INestApplication;
  };
  collector: string;
  aggregator: string;
  api: string;
  invoicing: string;
  close(): Promise<void>;
}

async function start(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** The four services in this process, on free ports, as `npm run services` runs them. */
export async function startServices(config: MeteringConfig): Promise<RunningServices> {
  const collector = await createCollectorApp(config);
  const aggregator = await createAggregatorApp(config);
  const api = await createApiApp(config);
  const invoicing = await createInvoicingApp(config);
  await aggregator.startAllMicroservices();
  const urls = {
    collector: await start(collector),
    aggregator: await start(aggregator),
    api: await start(api),
    invoicing: await start(invoicing),
  };
  return {
    ...urls,
    apps: { collector, aggregator, api, invoicing },
    async close() {
      await Promise.all([collector.close(), aggregator.close(), api.close(), invoicing.close()]);
    },
  };
}

export type ServiceName = 'collector' | 'aggregator' | 'api' | 'invoicing';

const CREATE: Record<ServiceName, (config: MeteringConfig) => Promise<INestApplication>> = {
  collector: createCollectorApp,
  aggregator: createAggregatorApp,
  api: createApiApp,
  invoicing: createInvoicingApp,
};

/** Only the named services, in this process: a test that folds nothing starts no aggregator. */
export async function startOnly<N extends ServiceName>(
  config: MeteringConfig,
  names: readonly N[],
): Promise<Record<N, string> & { close(): Promise<void> }> {
  const apps: INestApplication[] = [];
  const urls = {} as Record<N, string>;
  try {
    for (const name of names) {
      const app = await CREATE[name](config);
      apps.push(app);
      if (name === 'aggregator') await app.startAllMicroservices();
      urls[name] = await start(app);
    }
  } catch (e) {
    await Promise.all(apps.map((a) => a.close()));
    throw e;
  }
  return { ...urls, close: async () => void (await Promise.all(apps.map((a) => a.close()))) };
}

/** fetch with a bearer token and a JSON body. */
export async function call(
  url: string,
  opts: { method?: string; token?: string; body?: unknown; contentType?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(url, {
    method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Resolves once the aggregator's stored positions (in Postgres) reach the topic's end. */
export async function foldedToEnd(
  kafka: import('kafkajs').Kafka,
  topic: string,
  pool: import('pg').Pool,
  group: string,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await untilFolded({ admin, topic, stored: () => storedPositions(pool, group, topic), timeoutMs });
  } finally {
    await admin.disconnect();
  }
}

/** Organizations and one platform host, made through the API as the operator makes them; the host's id and token. */
export async function seedHost(
  api: string,
  operatorToken: string,
  orgs: readonly string[],
  name = 'host-1',
): Promise<{ id: string; token: string }> {
  for (const slug of orgs) {
    const res = await call(`${api}/v1/orgs`, { token: operatorToken, body: { slug, name: slug } });
    if (res.status !== 201) throw new Error(`creating org ${slug}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  const host = await call(`${api}/v1/hosts`, { token: operatorToken, body: { name } });
  if (host.status !== 201) throw new Error(`creating host ${name}: ${host.status} ${JSON.stringify(host.body)}`);
  return { id: host.body.id, token: host.body.token };
}
