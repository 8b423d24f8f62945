import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);
/** Below this a compressed body saves less than its headers and the work cost. */
const MIN_GZIP_BYTES = 1024;

export interface Rendered {
  body: Buffer;
  contentType: string;
}

export interface CachedResponse extends Rendered {
  /** A strong validator of the body: equal bodies have equal tags, whatever the version. */
  etag: string;
  /**
   * The body gzipped once, at the fastest level: a month of hourly rows by region and SKU is
   * ~4 MB of JSON and ~150 KB gzipped, for ~5 ms of compression per version instead of per request.
   */
  gzip: Buffer | null;
}

interface Entry extends CachedResponse {
  version: string;
}

/**
 * Rendered answers by (query key, data version). A dashboard asks the same few questions of
 * the same organization over and over, while the projection changes only when the aggregator
 * folds a batch: so an answer is computed and serialized once per version and then served as
 * bytes. A request whose version differs recomputes; requests arriving while that runs wait
 * for the same computation instead of each starting their own. Least recently used entries
 * leave first once the byte budget is spent.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, Promise<Entry>>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxBytes: number,
    /** Larger answers are served but not kept: one would push out many small ones. */
    private readonly maxEntryBytes = Math.floor(maxBytes / 4),
  ) {}

  async get(key: string, version: string, render: () => Promise<Rendered>): Promise<CachedResponse> {
    const found = this.entries.get(key);
    if (found && found.version === version) {
      // Re-inserting moves the entry to the end: Map order is the recency order.
      this.entries.delete(key);
      this.entries.set(key, found);
      this.hits++;
      return found;
    }
    const flightKey = `${version}\u0000${key}`;
    const pending = this.running.get(flightKey);
    if (pending) return pending;
    this.misses++;
    const computing = render().then(async (r) => {
      const etag = `"${createHash('sha256').update(r.body).digest('base64url').slice(0, 27)}"`;
      // In the thread pool: the event loop keeps serving other requests meanwhile.
      const gzip = r.body.length >= MIN_GZIP_BYTES ? await gzipAsync(r.body, { level: constants.Z_BEST_SPEED }) : null;
      const entry: Entry = { ...r, version, etag, gzip };
      this.store(key, entry);
      return entry;
    });
    this.running.set(flightKey, computing);
    try {
      return await computing;
    } finally {
      this.running.delete(flightKey);
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private store(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    if (old) {
      // Even if a slower computation of an older version lands last, nothing stale is served:
      // every get compares versions, so at worst the next request computes again.
      this.entries.delete(key);
      this.bytes -= sizeOf(old);
    }
    if (sizeOf(entry) > this.maxEntryBytes) return;
    this.entries.set(key, entry);
    this.bytes += sizeOf(entry);
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= sizeOf(e);
    }
  }
}

const sizeOf = (e: CachedResponse): number => e.body.length + (e.gzip?.length ?? 0);
