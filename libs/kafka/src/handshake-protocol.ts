import type { ApiRequest } from './kafka-protocol';

/** What a broker serves of one API: the lowest and highest version. */
export interface VersionRange {
  min: number;
  max: number;
}

export interface ApiVersions {
  errorCode: number;
  byKey: Map<number, VersionRange>;
}

/** ApiVersions v0: every broker answers it, before authentication too. */
export function apiVersionsRequest(): ApiRequest<ApiVersions> {
  return {
    apiKey: 18,
    apiVersion: 0,
    write: () => undefined,
    read: (r) => {
      const errorCode = r.int16();
      const byKey = new Map<number, VersionRange>();
      r.array((k) => byKey.set(k.int16(), { min: k.int16(), max: k.int16() }));
      return { errorCode, byKey };
    },
  };
}

export function saslHandshakeRequest(mechanism: string): ApiRequest<{ errorCode: number; mechanisms: string[] }> {
  return {
    apiKey: 17,
    apiVersion: 1,
    write: (w) => {
      w.string(mechanism);
    },
    read: (r) => ({ errorCode: r.int16(), mechanisms: r.array((m) => m.string()) }),
  };
}

export interface SaslAnswer {
  errorCode: number;
  errorMessage: string | null;
  bytes: Buffer;
}

export function saslAuthenticateRequest(bytes: Buffer): ApiRequest<SaslAnswer> {
  return {
    apiKey: 36,
    apiVersion: 0,
    write: (w) => {
      w.int32(bytes.length).raw(bytes);
    },
    read: (r) => {
      const errorCode = r.int16();
      const errorMessage = r.nullableString();
      return { errorCode, errorMessage, bytes: Buffer.from(r.nullableBytes() ?? Buffer.alloc(0)) };
    },
  };
}

/** The APIs and the one version of each that this client speaks (the requests in kafka-protocol and fetch-protocol). */
export const SPOKEN: ReadonlyMap<number, { name: string; version: number }> = new Map([
  [0, { name: 'Produce', version: 3 }],
  [1, { name: 'Fetch', version: 5 }],
  [3, { name: 'Metadata', version: 4 }],
  [17, { name: 'SaslHandshake', version: 1 }],
  [22, { name: 'InitProducerId', version: 1 }],
  [36, { name: 'SaslAuthenticate', version: 0 }],
]);

/**
 * Checks what the broker serves against what this client speaks and names every API the two do
 * not share (null when all are shared), so that a broker too new or too old for the client says
 * so when the connection opens, not as a garbled answer later. An API the broker does not list is
 * a mismatch only if the client needs it (the SASL ones only with SASL).
 */
export function unsharedApis(versions: ApiVersions, needed: readonly number[]): string | null {
  const problems: string[] = [];
  for (const key of needed) {
    const spoken = SPOKEN.get(key)!;
    const served = versions.byKey.get(key);
    if (!served) problems.push(`${spoken.name} (not served)`);
    else if (spoken.version < served.min || spoken.version > served.max)
      problems.push(`${spoken.name} v${spoken.version} (served v${served.min}-v${served.max})`);
  }
  return problems.length > 0 ? `the broker does not serve ${problems.join(', ')}` : null;
}
