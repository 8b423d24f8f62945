import { MAX_EVENTS, modeOf, parseEvents } from './parse-events';
import { Refusal } from './refusal';

const refusal = (fn: () => unknown): { reason: string; status: number } => {
  try {
    fn();
  } catch (e) {
    if (e instanceof Refusal) return { reason: e.reason, status: e.getStatus() };
    throw e;
  }
  throw new Error('not refused');
};
const body = (s: string) => Buffer.from(s);

describe('modeOf (Content-Type)', () => {
  it('reads the three media types, case and parameters aside', () => {
    expect(modeOf('application/cloudevents-batch+json')).toBe('batch');
    expect(modeOf('Application/CloudEvents+JSON; charset=UTF-8')).toBe('single');
    expect(modeOf('application/json;charset="utf-8"')).toBe('json');
  });

  it('refuses other types and other charsets with 415', () => {
    for (const t of [undefined, '', 'text/plain', 'application/xml', 'application/json; charset=iso-8859-1']) {
      expect([t, refusal(() => modeOf(t))]).toEqual([t, { reason: 'unsupported_media_type', status: 415 }]);
    }
  });
});

describe('parseEvents', () => {
  it('takes a batch as an array and one event as an object', () => {
    expect(parseEvents(body('[{"id":"a"},{"id":"b"}]'), 'batch')).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(parseEvents(body('{"id":"a"}'), 'single')).toEqual([{ id: 'a' }]);
    expect(parseEvents(body('{"id":"a"}'), 'json')).toEqual([{ id: 'a' }]);
    expect(parseEvents(body('[]'), 'json')).toEqual([]);
  });

  it('leaves judging the elements to the validator', () => {
    expect(parseEvents(body('[1, null, "x"]'), 'batch')).toEqual([1, null, 'x']);
  });

  it('refuses what is not a body of events', () => {
    const cases: [string, Parameters<typeof parseEvents>[1], string][] = [
      ['', 'json', 'not_json'],
      ['{"id":', 'json', 'not_json'],
      ['"text"', 'json', 'not_events'],
      ['null', 'batch', 'not_events'],
      ['[]', 'single', 'not_events'],
      ['{}', 'batch', 'not_events'],
      [JSON.stringify(new Array(MAX_EVENTS + 1).fill(0)), 'batch', 'too_many_events'],
    ];
    for (const [text, mode, reason] of cases)
      expect([text.slice(0, 20), refusal(() => parseEvents(body(text), mode))]).toEqual([
        text.slice(0, 20),
        { reason, status: 400 },
      ]);
  });

  it('accepts exactly the maximum number of events', () => {
    expect(parseEvents(body(JSON.stringify(new Array(MAX_EVENTS).fill(0))), 'batch')).toHaveLength(MAX_EVENTS);
  });

  it('refuses bytes that are not UTF-8 rather than turning them into U+FFFD', () => {
    expect(refusal(() => parseEvents(Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]), 'batch'))).toEqual({
      reason: 'not_utf8',
      status: 400,
    });
    expect(parseEvents(Buffer.from('["é✓😀"]'), 'batch')).toEqual(['é✓😀']);
  });
});
