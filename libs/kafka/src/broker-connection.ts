import { connect, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { KafkaSecurity } from '@metering/service';
import { apiVersionsRequest, saslAuthenticateRequest, saslHandshakeRequest, unsharedApis } from './handshake-protocol';
import type { ApiRequest } from './kafka-protocol';
import { ScramClient } from './scram';
import { envKafkaSecurity } from './security';
import { WireReader, WireWriter } from './wire';

/** Kafka did not answer, or the connection to it broke: whatever was in flight has an unknown outcome. */
export class BrokerConnectionError extends Error {}

/** The broker refused our credentials, or speaks no version of an API we need. */
export class BrokerHandshakeError extends BrokerConnectionError {}

// The APIs every connection of ours may use; the SASL ones are checked only when SASL is on.
const DATA_APIS = [0, 1, 3, 22];
const SASL_APIS = [17, 36];

interface Pending {
  read: (r: WireReader) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One TCP connection to one broker: size-prefixed requests out, responses matched back by
 * correlation id. Any failure (socket error, close, a request timing out) closes the
 * connection and fails every request in flight on it, so nothing waits on a dead socket.
 */
export class BrokerConnection {
  private readonly pending = new Map<number, Pending>();
  private nextCorrelationId = 1;
  private inbox: Buffer[] = [];
  private inboxBytes = 0;
  private failure: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
    readonly address: string,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.fail(new BrokerConnectionError(`${address}: ${e.message}`)));
    socket.on('close', () => this.fail(new BrokerConnectionError(`${address}: connection closed`)));
  }

  /**
   * Connects (over TLS when `security` says so), checks that the broker serves the API versions
   * this client speaks (ApiVersions) and authenticates (SASL PLAIN or SCRAM), all within `timeoutMs`.
   */
  static async open(
    host: string,
    port: number,
    clientId: string,
    timeoutMs: number,
    security: KafkaSecurity = envKafkaSecurity(),
  ): Promise<BrokerConnection> {
    const address = `${host}:${port}`;
    const deadline = Date.now() + timeoutMs;
    const socket = await openSocket(host, port, security, timeoutMs);
    const conn = new BrokerConnection(socket, clientId, address);
    try {
      await conn.handshake(security, deadline);
    } catch (e) {
      conn.close();
      throw e instanceof BrokerConnectionError ? e : new BrokerConnectionError(`${address}: ${String(e)}`);
    }
    return conn;
  }

  private async handshake(security: KafkaSecurity, deadline: number): Promise<void> {
    const left = () => Math.max(1, deadline - Date.now());
    const versions = await this.send(apiVersionsRequest(), left());
    if (versions.errorCode !== 0)
      throw new BrokerHandshakeError(`${this.address}: ApiVersions error ${versions.errorCode}`);
    const unshared = unsharedApis(versions, security.sasl ? [...DATA_APIS, ...SASL_APIS] : DATA_APIS);
    if (unshared) throw new BrokerHandshakeError(`${this.address}: ${unshared}`);
    const sasl = security.sasl;
    if (!sasl) return;
    const mechanism = sasl.mechanism.toUpperCase();
    const hs = await this.send(saslHandshakeRequest(mechanism), left());
    if (hs.errorCode !== 0)
      throw new BrokerHandshakeError(
        `${this.address}: SASL ${mechanism} not enabled (the broker offers ${hs.mechanisms.join(', ') || 'none'})`,
      );
    const authenticate = async (message: string): Promise<string> => {
      const a = await this.send(saslAuthenticateRequest(Buffer.from(message, 'utf8')), left());
      if (a.errorCode !== 0)
        throw new BrokerHandshakeError(
          `${this.address}: SASL ${mechanism} authentication failed: ${a.errorMessage ?? `error ${a.errorCode}`}`,
        );
      return a.bytes.toString('utf8');
    };
    if (sasl.mechanism === 'plain') {
      await authenticate(`\0${sasl.username}\0${sasl.password}`);
      return;
    }
    const scram = new ScramClient(
      sasl.mechanism === 'scram-sha-256' ? 'sha256' : 'sha512',
      sasl.username,
      sasl.password,
    );
    const serverFirst = await authenticate(scram.first());
    const serverFinal = await authenticate(scram.final(serverFirst));
    try {
      scram.verify(serverFinal);
    } catch (e) {
      throw new BrokerHandshakeError(`${this.address}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** A connection to the first of `addresses` (host:port) that takes one, each tried for at most `timeoutMs` and not past `deadline`. */
  static async openAny(
    addresses: readonly string[],
    clientId: string,
    timeoutMs: number,
    deadline = Infinity,
    security: KafkaSecurity = envKafkaSecurity(),
  ): Promise<BrokerConnection> {
    let last: unknown = new BrokerConnectionError('no brokers configured');
    for (const address of addresses) {
      const at = address.lastIndexOf(':');
      try {
        return await BrokerConnection.open(
          address.slice(0, at),
          Number(address.slice(at + 1)),
          clientId,
          Math.max(1, Math.min(timeoutMs, deadline - Date.now())),
          security,
        );
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  get isOpen(): boolean {
    return this.failure === null;
  }

  send<T>(req: ApiRequest<T>, timeoutMs: number): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.nextCorrelationId++ & 0x7fffffff;
    const w = new WireWriter(64 + this.clientId.length + (req.sizeHint ?? 960));
    const sizeAt = w.reserveInt32();
    w.int16(req.apiKey).int16(req.apiVersion).int32(correlationId).nullableString(this.clientId);
    req.write(w);
    w.patchInt32(sizeAt, w.length - 4);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.fail(new BrokerConnectionError(`${this.address}: no answer within ${timeoutMs} ms (api ${req.apiKey})`)),
        timeoutMs,
      );
      this.pending.set(correlationId, { read: req.read, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(w.bytes());
    });
  }

  close(): void {
    this.fail(new BrokerConnectionError(`${this.address}: closed`));
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.socket.destroy();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(e);
    }
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.inbox.push(chunk);
    this.inboxBytes += chunk.length;
    for (;;) {
      if (this.inboxBytes < 4) return;
      if (this.inbox[0]!.length < 4) this.inbox = [Buffer.concat(this.inbox, this.inboxBytes)];
      const size = this.inbox[0]!.readInt32BE(0);
      // Join the chunks only once the whole frame is here: a large answer is copied once.
      if (this.inboxBytes < 4 + size) return;
      const buf = this.inbox.length > 1 ? Buffer.concat(this.inbox, this.inboxBytes) : this.inbox[0]!;
      const rest = buf.subarray(4 + size);
      this.inbox = rest.length > 0 ? [rest] : [];
      this.inboxBytes = rest.length;
      this.onFrame(buf.subarray(4, 4 + size));
    }
  }

  private onFrame(frame: Buffer): void {
    const r = new WireReader(frame);
    const correlationId = r.int32();
    const p = this.pending.get(correlationId);
    if (!p) return; // an answer to a request that already failed
    this.pending.delete(correlationId);
    clearTimeout(p.timer);
    let value: unknown;
    try {
      value = p.read(r);
    } catch (e) {
      const error = new BrokerConnectionError(
        `${this.address}: unreadable response: ${e instanceof Error ? e.message : String(e)}`,
      );
      p.reject(error);
      this.fail(error);
      return;
    }
    p.resolve(value);
  }
}

/** A TCP connection, or a TLS one checked against the configured CA (the public roots without one). */
function openSocket(host: string, port: number, security: KafkaSecurity, timeoutMs: number): Promise<Socket> {
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    const tls = security.ssl;
    const socket: Socket = tls
      ? tlsConnect({ host, port, ca: tls.ca, servername: isIP(host) ? undefined : host })
      : connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new BrokerConnectionError(`${address}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new BrokerConnectionError(`${address}: ${e.message}`));
    });
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
