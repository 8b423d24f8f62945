import { Logger } from '@nestjs/common';
import { CompressionTypes, Kafka, Partitioners, Producer } from 'kafkajs';
import type { UsageEvent } from '@metering/catalog';
import { encodeUsageEvent, USAGE_EVENT_SCHEMA } from './usage-codec';

export class KafkaUnavailableError extends Error {}

/**
 * Produces accepted usage events, keyed by organization so that one organization's events
 * stay ordered in one partition. Idempotent, acks from all in-sync replicas: when send()
 * resolves, every event is durably in Kafka. When it rejects, none may be assumed written
 * (some may be): the host re-sends and the aggregator's (source, id) dedup makes that safe.
 */
export class UsageProducer {
  private readonly log = new Logger('usage-producer');
  private readonly producer: Producer;
  private connected = false;
  private connecting: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly sendTimeoutMs = 8000,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // murmur2, as Java clients partition: keys land where every Kafka tool expects them.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  /** Connects in the background; a broker that is down now must not stop the service booting. */
  start(): void {
    void this.ensureConnected().catch((e: unknown) => this.log.warn(`kafka not reachable yet: ${String(e)}`));
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async send(events: readonly UsageEvent[], receivedAt: number): Promise<void> {
    if (events.length === 0) return;
    await this.withTimeout(this.ensureConnected());
    const messages = events.map((e) => ({
      key: e.org,
      value: encodeUsageEvent(e, receivedAt),
      headers: { schema: USAGE_EVENT_SCHEMA },
    }));
    await this.withTimeout(
      this.producer.send({ topic: this.topic, acks: -1, compression: CompressionTypes.None, messages }),
    );
  }

  private ensureConnected(): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.producer
      .connect()
      .then(() => {
        this.connected = true;
      })
      .finally(() => {
        this.connecting = null;
      });
    return this.connecting;
  }

  private async withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    // If the timeout wins, p may still reject later: that must not become an unhandled rejection.
    p.catch(() => undefined);
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new KafkaUnavailableError(`Kafka did not acknowledge within ${this.sendTimeoutMs} ms`)), this.sendTimeoutMs);
        }),
      ]);
    } catch (e) {
      if (e instanceof KafkaUnavailableError) throw e;
      throw new KafkaUnavailableError(e instanceof Error ? e.message : String(e));
    } finally {
      clearTimeout(timer);
    }
  }
}
