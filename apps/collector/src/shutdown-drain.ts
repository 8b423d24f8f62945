import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

// A client that never finishes its request must not hold the process forever.
const DRAIN_LIMIT_MS = 20_000;

/**
 * On SIGTERM, Nest stops listening and waits for open connections before the shutdown hooks
 * close the producer and the pool. This makes that wait end: requests in flight finish (their
 * events acknowledged by Kafka) and every response from then on closes its connection, so
 * keep-alive connections do not linger and nothing new comes in on them.
 */
@Injectable()
export class ShutdownDrain implements BeforeApplicationShutdown {
  private readonly log = new Logger('shutdown');
  private draining = false;
  private readonly inFlight = new Set<ServerResponse>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  readonly middleware = (_req: Request, res: Response, next: NextFunction): void => {
    this.inFlight.add(res);
    res.once('close', () => this.inFlight.delete(res));
    if (this.draining) res.setHeader('Connection', 'close');
    next();
  };

  beforeApplicationShutdown(signal?: string): void {
    this.draining = true;
    for (const res of this.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.log.log(`${signal ?? 'shutdown'}: no new requests; finishing ${this.inFlight.size} in flight`);
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    server?.closeIdleConnections();
    setTimeout(() => server?.closeAllConnections(), DRAIN_LIMIT_MS).unref();
  }
}
