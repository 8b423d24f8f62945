import type { Admin, Kafka } from 'kafkajs';

export const INVOICING_KAFKA = Symbol('INVOICING_KAFKA');

/** A connected admin client for one operation, disconnected afterwards whatever happens. */
export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}
