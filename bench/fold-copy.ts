import type { Client } from 'pg';

/** The part of node-postgres' connection a copy drives (present at runtime, absent from its types). */
interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * `COPY ... FROM STDIN` over node-postgres without a dependency: a submittable query that
 * streams the given chunks once the server asks for them. The write ceiling the fold is
 * compared with: Postgres taking rows as fast as it takes anything.
 */
class CopyIn {
  private done!: (e: Error | null) => void;
  readonly finished = new Promise<void>((resolve, reject) => {
    this.done = (e) => (e ? reject(e) : resolve());
  });
  private error: Error | null = null;

  constructor(
    private readonly text: string,
    private readonly chunks: readonly Buffer[],
  ) {}

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    for (const chunk of this.chunks) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleCommandComplete(): void {}

  handleError(e: Error): void {
    this.error = e;
  }

  handleReadyForQuery(): void {
    this.done(this.error);
  }
}

/** Runs `COPY table (...) FROM STDIN` with the chunks as its data; resolves when the server has committed them. */
export async function copyIn(client: Client, sql: string, chunks: readonly Buffer[]): Promise<void> {
  const copy = new CopyIn(sql, chunks);
  (client as unknown as { query(q: CopyIn): void }).query(copy);
  await copy.finished;
}
