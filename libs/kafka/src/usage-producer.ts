import type { KafkaSecurity } from '@metering/service';
import { Logger } from '@nestjs/common';
import type { UsageEvent } from '@metering/catalog';
import { AccumulatorLimits, Placement, ProduceAccumulator } from './produce-accumulator';
import { OpenRecordSink, RecordSink, wireRecordSink } from './record-io';
import { OutRecord, RecordHeader } from './record-batch';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';

/** Kafka did not take the events (unreachable, too slow, or the collector is overloaded or stopping): none may be assumed accepted. */
export class KafkaUnavailableError extends Error {}

export interface UsageProducerOptions {
  brokers: readonly string[];
  topic: string;
  clientId?: string;
  /** How long one send may take, retries included, before the requests it carries fail. */
  sendTimeoutMs?: number;
  /** How long a request may wait for its acknowledgement, queueing included. */
  waitTimeoutMs?: number;
  limits?: Partial<Omit<AccumulatorLimits, 'waitTimeoutMs'>>;
  /** Observes each send to Kafka: messages it carried, seconds it took, whether it was acknowledged. */
  onSend?: (messages: number, seconds: number, ok: boolean) => void;
  /** TLS and SASL; the environment's (KAFKA_SSL, KAFKA_SASL_*) when not given. */
  security?: KafkaSecurity;
  /** The client that writes the records (our wire client by default). */
  sink?: OpenRecordSink;
}

interface Outgoing extends OutRecord {
  org: string;
  bytes: number;
}

const HEADERS: readonly RecordHeader[] = [{ key: Buffer.from('schema'), value: Buffer.from(USAGE_EVENT_SCHEMA) }];
const HEADER_BYTES = 2 + 6 + 1 + USAGE_EVENT_SCHEMA.length;
// A failed connection attempt is not repeated sooner than this: meanwhile requests are answered
// 503 at once, and a broker coming back is not hammered by every host's retry at the same moment.
const RECONNECT_MS = 1000;
const CONNECT_TIMEOUT_MS = 4000;

/**
 * Produces accepted usage events, keyed by organization so that one organization's events stay
 * ordered in one partition. Idempotent, acks from all in-sync replicas: when send() resolves,
 * every event is durably in Kafka; when it rejects, none may be assumed written (some may be):
 * the host re-sends and the aggregator's (source, id) dedup makes that safe.
 *
 * Requests arriving together share sends (ProduceAccumulator); the wire protocol is our own
 * (ProduceSession), as kafkajs spends ~12 µs of CPU per message encoding records, more than
 * parsing, validating and Avro-encoding an event together.
 */
export class UsageProducer {
  private readonly log = new Logger('usage-producer');
  private readonly accumulator: ProduceAccumulator<Outgoing>;
  private readonly keys = new Map<string, Buffer>();
  private session: RecordSink | null = null;
  private opening: Promise<RecordSink> | null = null;
  private lastFailure: { at: number; error: Error } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private readonly sendTimeoutMs: number;

  constructor(private readonly opts: UsageProducerOptions) {
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
    this.accumulator = new ProduceAccumulator<Outgoing>(
      () => this.placement(),
      {
        maxMessagesPerSend: 20_000,
        // Half the topic's max.message.bytes (1 MiB): room for the batch framing and estimates.
        maxPartitionBytes: 512 * 1024,
        maxQueuedBytes: 64 * 1024 * 1024,
        ...opts.limits,
        waitTimeoutMs: opts.waitTimeoutMs ?? this.sendTimeoutMs + 1000,
      },
      {
        onSend: opts.onSend,
        unavailable: (reason) => new KafkaUnavailableError(reason),
      },
    );
  }

  /** Connects in the background; a broker that is down now must not stop the service booting. */
  start(): void {
    void this.ensureSession().catch(() => undefined);
  }

  /** Resolves when Kafka answers now (for /health/ready). */
  async checkReady(timeoutMs = 1500): Promise<void> {
    if (this.closing) throw new Error('shutting down');
    const session = await this.ensureSession();
    await session.refreshMetadata(Date.now() + timeoutMs);
  }

  /** Resolves once Kafka acknowledged every event; rejects with KafkaUnavailableError otherwise. */
  send(events: readonly UsageEvent[], receivedAt: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (this.closing) return Promise.reject(new KafkaUnavailableError('the collector is shutting down'));
    const out: Outgoing[] = new Array<Outgoing>(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const key = this.keyOf(e.org);
      const value = encodeUsageEvent(e, receivedAt);
      out[i] = { org: e.org, key, value, headers: HEADERS, bytes: 16 + key.length + value.length + HEADER_BYTES };
    }
    return this.accumulator.add(out);
  }

  /** Refuses new events, waits for those already accepted to be acknowledged, disconnects. */
  async stop(): Promise<void> {
    this.closing = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.accumulator.whenIdle();
    await this.opening?.catch(() => undefined);
    this.session?.close();
    this.session = null;
  }

  private keyOf(org: string): Buffer {
    let key = this.keys.get(org);
    if (!key) {
      key = Buffer.from(org, 'utf8');
      this.keys.set(org, key);
    }
    return key;
  }

  private async placement(): Promise<Placement<Outgoing>> {
    const session = await this.ensureSession();
    return {
      partitionOf: (m) => session.partitionOf(m.org),
      send: async (byPartition) => {
        try {
          await session.produce(byPartition, Date.now() + this.sendTimeoutMs);
        } catch (e) {
          this.discard(session, e);
          throw new KafkaUnavailableError(`Kafka did not acknowledge: ${message(e)}`);
        }
      },
    };
  }

  private ensureSession(): Promise<RecordSink> {
    if (this.session) return Promise.resolve(this.session);
    if (this.opening) return this.opening;
    const last = this.lastFailure;
    if (last && Date.now() - last.at < RECONNECT_MS) {
      return Promise.reject(new KafkaUnavailableError(`Kafka unreachable: ${last.error.message}`));
    }
    const { brokers, topic } = this.opts;
    this.opening = (this.opts.sink ?? wireRecordSink)(
      { brokers, topic, clientId: this.opts.clientId ?? 'collector', security: this.opts.security },
      Date.now() + CONNECT_TIMEOUT_MS,
    )
      .then(
        (session) => {
          if (this.lastFailure) this.log.log(`Kafka reachable again (${brokers.join(',')})`);
          this.lastFailure = null;
          if (this.closing && this.accumulator.idle) session.close();
          else this.session = session;
          return session;
        },
        (e: unknown) => {
          const error = new KafkaUnavailableError(`Kafka unreachable: ${message(e)}`);
          if (!this.lastFailure) this.log.warn(`${error.message}; retrying every ${RECONNECT_MS} ms`);
          this.lastFailure = { at: Date.now(), error };
          this.scheduleReconnect(RECONNECT_MS);
          throw error;
        },
      )
      .finally(() => {
        this.opening = null;
      });
    return this.opening;
  }

  /** A session whose send failed is done (see ProduceSession); the next one gets a new producer id. */
  private discard(session: RecordSink, e: unknown): void {
    session.close();
    if (this.session === session) this.session = null;
    this.log.warn(`send failed, reconnecting with a new producer id: ${message(e)}`);
    this.scheduleReconnect(0);
  }

  // Reconnecting in the background is what makes the collector ready again without traffic.
  private scheduleReconnect(ms: number): void {
    if (this.closing || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.session && !this.closing) void this.ensureSession().catch(() => undefined);
    }, ms);
    this.retryTimer.unref();
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
