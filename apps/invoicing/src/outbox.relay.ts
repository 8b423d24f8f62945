import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import { Gauge, Registry } from 'prom-client';
import { OutboxMessage, OutboxRepository } from '@metering/db';
import { METRICS_REGISTRY } from '@metering/service';
import { INVOICING_KAFKA } from './kafka-admin';

const INTERVAL_MS = 1000;
const BATCH = 500;

/**
 * Relays billing events from the outbox to Kafka, oldest first. A row is marked sent in the
 * transaction that read it, after Kafka acknowledged it: at least once, never lost, even when
 * Kafka was down when the invoice was issued. Several relays share the work (SKIP LOCKED).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('outbox');
  private readonly producer: Producer;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private connected = false;
  private readonly pending: Gauge;

  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(INVOICING_KAFKA) kafka: Kafka,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    // Delivery is at least once by design (a row is marked sent after the ack; consumers
    // deduplicate by number), so the producer needs no idempotence, only acks from all replicas.
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
    this.pending = new Gauge({
      name: 'invoicing_outbox_pending',
      help: 'Billing events not yet relayed to Kafka',
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.nudge(), INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    if (this.connected) await this.producer.disconnect();
  }

  /** Relays now (one pass at a time). */
  nudge(): Promise<unknown> {
    this.running = this.running
      .then(() => this.relay())
      .catch((e: unknown) => this.log.warn(`relay failed, will retry: ${String(e)}`));
    return this.running;
  }

  /** Relays until the outbox is empty; returns how many events went out. */
  async relay(): Promise<number> {
    let sent = 0;
    for (;;) {
      const n = await this.outbox.relayOldest(BATCH, async (messages) => {
        if (!this.connected) {
          await this.producer.connect();
          this.connected = true;
        }
        const byTopic = new Map<string, OutboxMessage[]>();
        for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
        await this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, ms]) => ({
            topic,
            messages: ms.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
          })),
        });
      });
      sent += n;
      if (n < BATCH) break;
    }
    this.pending.set(await this.outbox.pending());
    return sent;
  }
}
