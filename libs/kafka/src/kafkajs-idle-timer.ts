// kafkajs 2.2.4, its last release, re-arms a timer on every response even when no request waits
// and no throttle is in force: the delay is then `-1 - Date.now()`, which Node clamps to 1 ms, so
// each idle broker connection wakes the process about 700 times a second (on two shared cores),
// and Node 24+ warns "TimeoutNegativeWarning" about it. The timer only serves requests that wait,
// and queueing one schedules it again, so with none waiting and no throttle it is not armed.
// Upstream: tulios/kafkajs issues 1704 and 1751, fixes not merged. Loaded by ./client, so every
// process that uses this lib has it; scripts/stack-lib/kafka-topics.mjs carries the same lines.
interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs' internals have no types
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };
const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;

RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  schedule.call(this);
};
