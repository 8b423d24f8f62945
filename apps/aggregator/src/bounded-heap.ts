import { isMainThread, parentPort, Worker } from 'node:worker_threads';

/**
 * The aggregator's heap budget. V8 sizes a process' heap to the machine (gigabytes here) and,
 * while collecting is cheap, lets garbage pile up to several times the live data before a full
 * collection: the consumer's ~50 MB of live data grew to 200 MB of heap and the process to
 * 450 MB. A worker thread's heap can be bounded from inside the program, so the service runs in
 * one (same process, same pid): full collections come sooner and resident memory stays within
 * ~300 MB. The young generation is kept at its default; a larger one costs more memory than
 * the collections it saves.
 */
export const HEAP_LIMITS = { maxOldGenerationSizeMb: 160, maxYoungGenerationSizeMb: 48 };

const SHUTDOWN = 'shutdown';
const SHUTDOWN_GRACE_MS = 20_000;

/**
 * Runs this same entry point again in a worker thread with HEAP_LIMITS, forwarding SIGTERM and
 * SIGINT as a request to shut down gracefully (signals reach only the main thread), and exits
 * with the worker's exit code. Returns false in the worker, where the caller goes on to run.
 */
export function hostInBoundedWorker(entry: string): boolean {
  if (!isMainThread) return false;
  const worker = new Worker(entry, { argv: process.argv.slice(2), resourceLimits: HEAP_LIMITS });
  const stop = () => {
    worker.postMessage(SHUTDOWN);
    setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  worker.on('error', (e) => {
    console.error(`aggregator: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  });
  worker.on('exit', (code) => process.exit(process.exitCode ?? code));
  return true;
}

/** In the worker: calls `close` when the main thread asks for a shutdown, then ends the worker. */
export function onShutdownRequest(close: () => Promise<void>): void {
  parentPort?.on('message', (m: unknown) => {
    if (m !== SHUTDOWN) return;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
