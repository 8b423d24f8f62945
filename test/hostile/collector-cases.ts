import { isUtf8 } from 'node:buffer';
import { deflateSync, gzipSync } from 'node:zlib';
import { Json, jsonWithRaw, KiB, Kit, MiB, nestedArrays, nestedObjects } from './kit';

const COLLECTOR_LIMIT = 10 * MiB;

/** The collector's cases: bodies that are not JSON, events with every field wrong, numbers, nesting, Unicode, size, media types. */
export function collectorCases(k: Kit): void {
  const {
    ctx,
    int,
    nextId,
    time,
    add,
    event,
    volume,
    egress,
    ip,
    gpu,
    validBatch,
    host,
    json,
    post,
    rejectAll,
    rejectOne,
    one,
  } = k;

  // ---------------------------------------------------------------- json: fuzzed, truncated, garbage ----------
  const notJson = { status: 400, detail: /not JSON|UTF-8/ } as const;
  const sample = JSON.stringify(validBatch(5));
  for (let i = 0; i < 12; i++) {
    const at = 1 + int(sample.length - 2);
    post(`valid batch truncated at byte ${at}`, 'json', Buffer.from(sample.slice(0, at)), {
      status: 400,
      detail: /not JSON/,
    });
  }
  for (let made = 0, tries = 0; made < 14 && tries < 10_000; tries++) {
    const bytes = Buffer.from(sample);
    const flips = 1 + int(4);
    for (let f = 0; f < flips; f++) bytes[int(bytes.length)] = int(256);
    // Only mutants the collector must refuse whole: no longer UTF-8, or no longer JSON. One that
    // still parses would be judged event by event (and could even be valid).
    let parses = true;
    try {
      JSON.parse(bytes.toString('utf8'));
    } catch {
      parses = false;
    }
    if (isUtf8(bytes) && parses) continue;
    post(`valid batch with ${flips} random bytes (mutant ${made})`, 'json', bytes, notJson);
    made++;
  }
  for (let i = 0; i < 4; i++) {
    const n = 1 + int(4096);
    const bytes = Buffer.alloc(n);
    for (let j = 0; j < n; j++) bytes[j] = int(256);
    post(`${n} random bytes`, 'json', bytes, notJson);
  }
  const texts: [string, string, RegExp][] = [
    ['an empty body', '', /not JSON/],
    ['only whitespace', ' \r\n\t ', /not JSON/],
    ['a UTF-8 byte order mark before the batch', `\ufeff${JSON.stringify([event()])}`, /not JSON/],
    ['a trailing comma', `[${JSON.stringify(event())},]`, /not JSON/],
    ['single quotes', `[{'id': 'x'}]`, /not JSON/],
    ['two documents back to back', `${JSON.stringify([event()])}${JSON.stringify([event()])}`, /not JSON/],
    ['a batch followed by garbage', `${JSON.stringify([event()])} garbage`, /not JSON/],
    ['NaN', '[{"quantity": NaN}]', /not JSON/],
    ['Infinity as a literal', '[{"quantity": Infinity}]', /not JSON/],
    ['a comment', `/* events */ ${JSON.stringify([event()])}`, /not JSON/],
    ['undefined', 'undefined', /not JSON/],
    ['an unclosed string', '[{"id": "abc', /not JSON/],
    ['a bad escape', '["\\x41"]', /not JSON/],
    ['a hex number', '[{"quantity": 0x10}]', /not JSON/],
    ['a number with a leading zero', '[{"quantity": 060}]', /not JSON/],
    ['a number with a plus sign', '[{"quantity": +60}]', /not JSON/],
    ['a raw control character in a string', `[{"id": "a\u0001b"}]`, /not JSON/],
    ['JSON true', 'true', /CloudEvent/],
    ['a JSON number', '123', /CloudEvent/],
    ['a JSON string', '"[]"', /CloudEvent/],
    ['JSON null', 'null', /CloudEvent/],
  ];
  for (const [name, text, detail] of texts) post(name, 'json', Buffer.from(text), { status: 400, detail });
  rejectOne(
    'an event that only has __proto__ (prototype pollution)',
    'json',
    JSON.parse(`{"__proto__": ${JSON.stringify(event())}}`),
    ['specversion', 'id', 'source', 'type', 'time', 'data'],
  );
  rejectOne(
    'data that only has __proto__',
    'json',
    event({ data: JSON.parse(`{"__proto__": {"org": "${ctx.org}", "region": "ord"}}`) }),
    ['data.org', 'data.resource', 'data.region', 'data.quantity', 'data.size'],
  );
  rejectAll(
    'duplicate keys, the last one bad',
    'json',
    `[{"specversion":"1.0","id":"${nextId()}","id":42,"source":"host/ord-1","type":"machine.runtime","time":"${time}","data":${JSON.stringify(event()['data'])}}]`,
    [['id']],
  );

  // ---------------------------------------------------------------- types: every field, wrong ----------
  const wrong: [string, unknown[], string][] = [
    ['specversion', [1, '1', true, ['1.0']], 'specversion'],
    ['id', [42, true, {}, ['x']], 'id'],
    ['source', [42, false, { host: 'ord-1' }], 'source'],
    ['type', [42, ['machine.runtime'], { name: 'machine.runtime' }], 'type'],
    ['time', [ctx.now, true, [time], { iso: time }], 'time'],
  ];
  for (const [field, values, path] of wrong) {
    // Named without the clock's value, so a case has the same name in every run.
    const shown = (v: unknown) => JSON.stringify(v).split(time).join('<time>').split(String(ctx.now)).join('<now>');
    for (const v of values) rejectOne(`${field} = ${shown(v)}`, 'types', event({ [field]: v }), [path]);
  }
  for (const v of ['acme', 42, [1], true])
    rejectOne(`data = ${JSON.stringify(v)}`, 'types', event({ data: v }), ['data']);
  const wrongData: [string, unknown[]][] = [
    ['org', [42, [ctx.org], { slug: ctx.org }, true]],
    ['app', [42, ['web'], { name: 'web' }]],
    ['resource', [42, ['m_1'], false]],
    ['region', [42, ['ord'], { code: 'ord' }]],
    ['quantity', ['60', true, [60], { value: 60 }]],
    ['size', [1, ['shared-cpu-1x'], { size: 'shared-cpu-1x' }]],
    ['memory_mb', ['512', 512.5, -1, true]],
  ];
  for (const [field, values] of wrongData) {
    for (const v of values)
      rejectOne(`data.${field} = ${JSON.stringify(v)}`, 'types', event({}, { [field]: v }), [`data.${field}`]);
  }
  for (const v of [1, ['a10']]) rejectOne(`data.gpu = ${JSON.stringify(v)}`, 'types', gpu({ gpu: v }), ['data.gpu']);
  rejectOne(
    'every field the wrong type at once',
    'types',
    {
      specversion: 1,
      id: 2,
      source: 3,
      type: 4,
      time: 5,
      data: { org: 6, app: 7, resource: 8, region: 9, quantity: '10' },
    },
    [
      'specversion',
      'id',
      'source',
      'type',
      'time',
      'data.org',
      'data.app',
      'data.resource',
      'data.region',
      'data.quantity',
    ],
  );

  // ---------------------------------------------------------------- numbers ----------
  const q = (label: string, e: Json, paths: string[]) => rejectOne(label, 'numbers', e, paths);
  q('quantity 1e308 seconds', event({}, { quantity: 1e308 }), ['data.quantity']);
  q('quantity 1e400 (overflows to Infinity)', event({}, { quantity: '@raw:1e400' }), ['data.quantity']);
  q('quantity -1e400', volume({ quantity: '@raw:-1e400' }), ['data.quantity']);
  q('quantity 5e-324 seconds (not an integer)', event({}, { quantity: 5e-324 }), ['data.quantity']);
  q('quantity 5e-324 gb-seconds (more than 9 decimals)', volume({ quantity: 5e-324 }), ['data.quantity']);
  q('quantity -5e-324', volume({ quantity: -5e-324 }), ['data.quantity']);
  q('quantity 2^53+1 bytes (beyond exact integers)', egress({ quantity: '@raw:9007199254740993' }), ['data.quantity']);
  q('quantity 2^53 seconds of IP', ip({ quantity: '@raw:9007199254740992' }), ['data.quantity']);
  q('quantity 18446744073709551616 (2^64)', event({}, { quantity: '@raw:18446744073709551616' }), ['data.quantity']);
  q('quantity "60" as a string', event({}, { quantity: '60' }), ['data.quantity']);
  q('quantity "1e3" as a string', volume({ quantity: '1e3' }), ['data.quantity']);
  q('quantity -1', event({}, { quantity: -1 }), ['data.quantity']);
  q('quantity 1e-10 gb-seconds', volume({ quantity: 1e-10 }), ['data.quantity']);
  q('quantity 60.0000001 seconds', event({}, { quantity: 60.0000001 }), ['data.quantity']);
  // -0 is a valid quantity (zero); the unknown type is this event's only fault, which shows -0 is not taken for a negative.
  q('quantity -0 (zero) with an unknown type', event({ type: 'machine.walltime' }, { quantity: '@raw:-0' }), ['type']);
  // The largest double is a valid volume quantity (exact as written); the region is the fault.
  q(
    'quantity 1.7976931348623157e308 gb-seconds in an unknown region',
    volume({ quantity: 1.7976931348623157e308, region: 'xx' }),
    ['data.region'],
  );
  q('memory_mb 1e308', event({}, { memory_mb: 1e308 }), ['data.memory_mb']);
  q('memory_mb 2^53', event({}, { memory_mb: '@raw:9007199254740992' }), ['data.memory_mb']);
  q('memory_mb -0.5', event({}, { memory_mb: -0.5 }), ['data.memory_mb']);
  q('time with ten fractional digits', event({ time: `${time.slice(0, 19)}.0000000001Z` }), ['time']);
  q('time in year 275760', event({ time: '+275760-09-13T00:00:00Z' }), ['time']);
  q('time in year 0', event({ time: '0000-01-01T00:00:00Z' }), ['time']);
  q('time as epoch seconds in a string', event({ time: String(Math.floor(ctx.now / 1000)) }), ['time']);
  q('time with offset +24:00', event({ time: `${time.slice(0, 19)}+24:00` }), ['time']);

  // ---------------------------------------------------------------- nesting ----------
  const withHole = (e: Json, where: 'top' | 'data', key: string, raw: string): string => {
    const placeholder = '@raw:HOLE';
    if (where === 'top') e[key] = placeholder;
    else (e['data'] as Json)[key] = placeholder;
    return `[${jsonWithRaw(e).replace('HOLE', raw)}]`;
  };
  post('100,000 nested arrays as the body', 'nesting', Buffer.from(nestedArrays(100_000)), {
    status: 202,
    rejected: [['']],
  });
  post('1,000,000 nested arrays as the body', 'nesting', () => Buffer.from(nestedArrays(1_000_000)), {
    status: 202,
    rejected: [['']],
  });
  post('100,000 nested objects as the body', 'nesting', Buffer.from(nestedObjects(100_000)), {
    status: 202,
    rejected: [['specversion', 'id', 'source', 'type', 'time', 'data']],
  });
  rejectAll(
    'data.region as 100,000 nested arrays',
    'nesting',
    withHole(event(), 'data', 'region', nestedArrays(100_000)),
    [['data.region']],
  );
  rejectAll('data as 100,000 nested arrays', 'nesting', withHole(event(), 'top', 'data', nestedArrays(100_000)), [
    ['data'],
  ]);
  rejectAll(
    'data.quantity as 100,000 nested objects',
    'nesting',
    withHole(event(), 'data', 'quantity', nestedObjects(100_000)),
    [['data.quantity']],
  );
  rejectAll('id as 100,000 nested arrays', 'nesting', withHole(event(), 'top', 'id', nestedArrays(100_000)), [['id']]);
  rejectAll(
    'an unknown data field 100,000 deep, in an unknown region',
    'nesting',
    withHole(event({}, { region: 'nowhere' }), 'data', 'extra', nestedObjects(100_000)),
    [['data.region']],
  );
  rejectAll(
    '2,000 events whose size is nested 50 deep',
    'nesting',
    `[${Array.from({ length: 2000 }, () => withHole(event(), 'data', 'size', nestedArrays(50)).slice(1, -1)).join(',')}]`,
    Array.from({ length: 2000 }, () => ['data.size']),
  );

  // ---------------------------------------------------------------- unicode ----------
  const u = (label: string, e: Json, paths: string[]) => rejectOne(label, 'unicode', e, paths);
  u('id with a lone high surrogate', event({ id: `${nextId()}\ud800` }), ['id']);
  u('id with a lone low surrogate', event({ id: `\udc00${nextId()}` }), ['id']);
  u('id with NUL', event({ id: `${nextId()}\u0000` }), ['id']);
  u('source with NUL', event({ source: 'host/\u0000ord' }), ['source']);
  u('resource with an escape character', event({}, { resource: 'm_\u001b[31m1' }), ['data.resource']);
  u('app with DEL', event({}, { app: 'web\u007f' }), ['data.app']);
  u('id of 129 four-byte emoji', event({ id: '😀'.repeat(129) }), ['id']);
  u('id of 127 emoji and a lone surrogate', event({ id: `${'😀'.repeat(127)}\ud83d` }), ['id']);
  u('org with a right-to-left override', event({}, { org: `\u202e${ctx.org}` }), ['data.org']);
  u('org with a zero-width space', event({}, { org: `${ctx.org.slice(0, 2)}\u200b${ctx.org.slice(2)}` }), ['data.org']);
  u(
    'org in fullwidth letters',
    event({}, { org: [...ctx.org].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('') }),
    ['data.org'],
  );
  u(
    'org with a Cyrillic homoglyph',
    event({}, { org: ctx.org.replace('a', '\u0430').replace('e', '\u0435').replace('o', '\u043e') }),
    ['data.org'],
  );
  u('region with a zero-width joiner', event({}, { region: 'or\u200dd' }), ['data.region']);
  u('size with a right-to-left override', event({}, { size: 'shared-cpu-1x\u202e' }), ['data.size']);
  u('type with a trailing zero-width space', event({ type: 'machine.runtime\u200b' }), ['type']);
  u('specversion 1.0 then NUL', event({ specversion: '1.0\u0000' }), ['specversion']);
  u(
    'time in Arabic-Indic digits',
    event({ time: time.replace(/\d/g, (d) => String.fromCharCode(0x0660 + Number(d))) }),
    ['time'],
  );
  u(
    'the key "id" in fullwidth letters',
    (() => {
      const e = event();
      e['ｉｄ'] = e['id'];
      delete e['id'];
      return e;
    })(),
    ['id'],
  );
  // Raw bytes that are not UTF-8, inside an otherwise valid batch of the target organization: refused whole.
  const bad = (label: string, bytes: number[]) => {
    const text = JSON.stringify(validBatch(3));
    const at = text.indexOf('"m_1"') + 2;
    post(
      `valid batch with ${label} in a string`,
      'unicode',
      Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bytes), Buffer.from(text.slice(at))]),
      { status: 400, detail: /UTF-8/ },
    );
  };
  bad('an overlong "/" (C0 AF)', [0xc0, 0xaf]);
  bad('an overlong NUL (C0 80)', [0xc0, 0x80]);
  bad('an overlong 3-byte "A" (E0 81 81)', [0xe0, 0x81, 0x81]);
  bad('a UTF-8-encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]);
  bad('a code point above U+10FFFF (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]);
  bad('a 5-byte sequence (F8 88 80 80 80)', [0xf8, 0x88, 0x80, 0x80, 0x80]);
  bad('a lone continuation byte (80)', [0x80]);
  bad('a truncated 3-byte sequence (E2 82)', [0xe2, 0x82]);
  bad('Latin-1 "é" (E9)', [0xe9]);
  post(
    'a valid batch in UTF-16LE with a BOM',
    'unicode',
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(validBatch(2)), 'utf16le')]),
    { status: 400, detail: /UTF-8/ },
  );

  // ---------------------------------------------------------------- oversize (collector) ----------
  const padded = (size: number) => () => {
    const text = JSON.stringify(validBatch(100));
    return Buffer.from(`${text.slice(0, -1)}${' '.repeat(size - text.length)}]`);
  };
  post('valid events padded to 10 MiB + 1, Content-Length declared', 'oversize', padded(COLLECTOR_LIMIT + 1), {
    status: 413,
    detail: /larger than the limit/,
  });
  post(
    'Content-Length of 2 GiB announced, 64 KiB sent',
    'oversize',
    padded(64 * KiB),
    { status: 413 },
    { headers: [host(), json, ['Content-Length', String(2 * 1024 * MiB)]] },
  );
  post('valid events padded to 11 MiB, chunked', 'oversize', padded(11 * MiB), { status: 413 }, { chunked: true });
  post(
    'Expect: 100-continue announcing 11 MiB',
    'oversize',
    Buffer.alloc(0),
    { status: 413 },
    {
      headers: [host(), json, ['Content-Length', String(11 * MiB)], ['Expect', '100-continue']],
    },
  );
  const bomb = (size: number) => () => Buffer.from(`[${' '.repeat(size)}]`);
  post(
    'a gzip bomb: 11 MiB of spaces in 11 KiB',
    'oversize',
    () => gzipSync(bomb(11 * MiB)()),
    { status: 413 },
    { headers: [host(), json, ['Content-Encoding', 'gzip']] },
  );
  post(
    'a deflate bomb: 64 MiB of spaces',
    'oversize',
    () => deflateSync(bomb(64 * MiB)()),
    { status: 413 },
    { headers: [host(), json, ['Content-Encoding', 'deflate']] },
  );
  post(
    'a gzip bomb, chunked',
    'oversize',
    () => gzipSync(bomb(11 * MiB)()),
    { status: 413 },
    { headers: [host(), json, ['Content-Encoding', 'gzip']], chunked: true },
  );
  post(
    '10,001 valid events',
    'oversize',
    () => Buffer.from(JSON.stringify(validBatch(10_001))),
    { status: 400, detail: /at most 10000 events/ },
    { boundMs: 10_000 },
  );
  post(
    '10,001 valid events, gzip',
    'oversize',
    () => gzipSync(JSON.stringify(validBatch(10_001))),
    { status: 400, detail: /at most 10000 events/ },
    {
      headers: [host(), json, ['Content-Encoding', 'gzip']],
      boundMs: 10_000,
    },
  );

  // ---------------------------------------------------------------- content types and encodings (collector) ----------
  const ct = (
    type: string | null,
    status: number,
    detail?: RegExp,
    body: () => Buffer = one,
    more: [string, string][] = [],
  ) =>
    add({
      name: type === null ? 'no Content-Type' : `Content-Type: ${type}`,
      category: 'content-type',
      service: 'collector',
      method: 'POST',
      target: '/v1/events',
      headers: [host(), ...(type === null ? [] : ([['Content-Type', type]] as [string, string][])), ...more],
      body: body(),
      expect: detail ? { status, detail } : { status },
    });
  ct(null, 415, /Content-Type/);
  ct('', 415);
  ct('text/plain', 415);
  ct('application/xml', 415);
  ct('multipart/form-data; boundary=x', 415);
  ct('application/x-www-form-urlencoded', 415);
  ct('application/jsonp', 415);
  ct('*/*', 415);
  ct('application/json, text/plain', 415);
  ct('application/cloudevents-batch+json+gzip', 415);
  ct('application/json; charset=utf-16', 415, /charset/, () => Buffer.from(JSON.stringify(validBatch(2)), 'utf16le'));
  ct('application/json; charset=iso-8859-1', 415, /charset/);
  ct('application/json; charset=utf-32', 415, /charset/);
  ct('application/json; charset="utf-7"', 415, /charset/);
  ct(`application/json; ${'x=y; '.repeat(500)}charset=ebcdic`, 415);
  ct('application/cloudevents+json', 400, /one event/);
  ct('application/cloudevents-batch+json', 400, /JSON array/, () => Buffer.from(JSON.stringify(event())));
  const ce = (encoding: string, status: number, body: () => Buffer = one) =>
    add({
      name: `Content-Encoding: ${encoding}`,
      category: 'content-type',
      service: 'collector',
      method: 'POST',
      target: '/v1/events',
      headers: [host(), json, ['Content-Encoding', encoding]],
      body: body(),
      expect: { status },
    });
  ce('br', 415);
  ce('compress', 415);
  ce('x-gzip', 415);
  ce('gzip, gzip', 415);
  ce('zstd', 415);
  ce('gzip', 400); // plain JSON claimed to be gzip
  ce('deflate', 400, () => gzipSync(JSON.stringify(validBatch(2)))); // gzip claimed to be deflate
  add({
    name: 'valid events, gzip cut off half-way',
    category: 'content-type',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json, ['Content-Encoding', 'gzip']],
    body: (() => {
      const z = gzipSync(JSON.stringify(validBatch(20)));
      return z.subarray(0, z.length >> 1);
    })(),
    expect: { status: 400 },
  });
  add({
    name: 'valid events, gzip followed by garbage',
    category: 'content-type',
    service: 'collector',
    method: 'POST',
    target: '/v1/events',
    headers: [host(), json, ['Content-Encoding', 'gzip']],
    body: Buffer.concat([gzipSync(JSON.stringify(validBatch(3))), Buffer.from('garbage')]),
    expect: { status: 400 },
  });
}
