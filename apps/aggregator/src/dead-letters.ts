import { Logger } from '@nestjs/common';
import { Kafka, Partitioners, Producer } from 'kafkajs';
import type { Poison } from '@metering/kafka';

/**
 * Messages the fold cannot use go to the dead-letter topic as they were, with where they came
 * from and why in headers, so that one bad record never stops a partition.
 */
export class DeadLetters {
  private readonly log = new Logger('dead-letters');
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async send(sourceTopic: string, partition: number, poison: Poison[]): Promise<void> {
    this.connected ??= this.producer.connect().catch((e: unknown) => {
      this.connected = null;
      throw e;
    });
    await this.connected;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: poison.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...message.headers,
          'dlq.reason': reason,
          'dlq.source': `${sourceTopic}/${partition}/${message.offset}`,
        },
      })),
    });
    this.log.warn(`${poison.length} message(s) of ${sourceTopic}/${partition} dead-lettered: ${poison[0]!.reason}`);
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}
