import { isUtf8 } from 'node:buffer';
import { Refusal } from './refusal';

export const MAX_EVENTS = 10_000;

export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';
export const SINGLE_MEDIA_TYPE = 'application/cloudevents+json';
const JSON_MEDIA_TYPE = 'application/json';

export type Mode = 'batch' | 'single' | 'json';

/** How the body is to be read, from its Content-Type; anything but JSON in UTF-8 is refused. */
export function modeOf(contentType: string | undefined): Mode {
  const [type = '', ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new Refusal('unsupported_media_type', 415, `charset '${charset}' is not supported; send UTF-8`);
  }
  if (type === BATCH_MEDIA_TYPE) return 'batch';
  if (type === SINGLE_MEDIA_TYPE) return 'single';
  if (type === JSON_MEDIA_TYPE) return 'json';
  throw new Refusal(
    'unsupported_media_type',
    415,
    `Content-Type must be ${BATCH_MEDIA_TYPE} or ${JSON_MEDIA_TYPE} (a batch) or ${SINGLE_MEDIA_TYPE} (one event)`,
  );
}

/**
 * The events of a body: a batch is a JSON array, a structured event one JSON object
 * (application/json takes either, as hosts posting one event by hand expect). Whether each
 * element is a valid event is the validator's business; here only the body's shape is judged.
 */
export function parseEvents(body: Buffer, mode: Mode): unknown[] {
  // Checked rather than decoded leniently: a stray byte would become U+FFFD, and two distinct
  // ids could then become one id and be counted once.
  if (!isUtf8(body)) throw new Refusal('not_utf8', 400, 'body is not valid UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new Refusal('not_json', 400, `body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (Array.isArray(parsed)) {
    if (mode === 'single')
      throw new Refusal('not_events', 400, `${SINGLE_MEDIA_TYPE} carries one event (a JSON object), not an array`);
    if (parsed.length > MAX_EVENTS) {
      throw new Refusal(
        'too_many_events',
        400,
        `a batch holds at most ${MAX_EVENTS} events; this one has ${parsed.length}`,
      );
    }
    return parsed;
  }
  if (typeof parsed === 'object' && parsed !== null) {
    if (mode === 'batch') throw new Refusal('not_events', 400, `${BATCH_MEDIA_TYPE} carries a JSON array of events`);
    return [parsed];
  }
  throw new Refusal('not_events', 400, 'body must be a CloudEvent (a JSON object) or a batch of them (a JSON array)');
}
