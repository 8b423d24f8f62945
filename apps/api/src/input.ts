import { isStorableText } from '@metering/catalog';
import type { FaultDetail } from '@metering/service';
import { badRequest } from '@metering/service';

/** Reads a JSON body's fields, collecting every fault, then throws one 400 naming them all. */
export class BodyReader {
  readonly faults: FaultDetail[] = [];
  private readonly body: Record<string, unknown>;

  constructor(body: unknown) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('body must be a JSON object (Content-Type: application/json)');
    }
    this.body = body as Record<string, unknown>;
  }

  string(name: string, opts: { pattern?: RegExp; max?: number; optional?: boolean; hint?: string } = {}): string {
    const v = this.body[name];
    if (v === undefined && opts.optional) return '';
    if (typeof v !== 'string') {
      this.faults.push({ path: name, message: v === undefined ? 'is required' : 'must be a string' });
      return '';
    }
    if (v.length === 0 && !opts.optional) this.faults.push({ path: name, message: 'must not be empty' });
    else if (v.length > (opts.max ?? 200))
      this.faults.push({ path: name, message: `at most ${opts.max ?? 200} characters` });
    // Postgres refuses NUL (a 500), and UTF-8 would store an unpaired surrogate as U+FFFD.
    else if (!isStorableText(v))
      this.faults.push({ path: name, message: 'must not contain control characters or unpaired surrogates' });
    else if (opts.pattern && !opts.pattern.test(v))
      this.faults.push({ path: name, message: opts.hint ?? `must match ${opts.pattern}` });
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const v = this.body[name];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.faults.push({ path: name, message: `must be one of ${values.join(', ')}` });
    }
    return v as T;
  }

  /** Throws the 400 if any field was wrong. */
  done(): void {
    if (this.faults.length > 0) throw badRequest('the request body has errors', this.faults);
  }
}

export const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const EMAIL = /^[^@\s]+@[^@\s]+$/;
