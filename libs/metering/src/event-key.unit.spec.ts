import { epochDay, eventKeyHex, murmur3x86128 } from './event-key';

const H = 3_600_000;

describe('the event key', () => {
  // Expected values from the reference MurmurHash3_x86_128 (the mmh3 package), hour prepended.
  it.each([
    ['host/ord-01', 'm_00001/run/0', 1_795_000_000_000, '00079bb36e420290a0b11120448d3327'],
    ['host/x', 'abc', 0, '00000000152dfb767bf5b709393ba0b9'],
    ['é源', '🙂x', 500_000 * H, '0007a12048a80c76c3411dd691968f61'],
  ])('given (%s, %s) at %d, then the hour and the reference hash', (source, id, time, hex) => {
    expect(eventKeyHex(source, id, time)).toBe(hex);
  });

  it('matches the reference hash on every tail length (0 to 15 bytes past a block)', () => {
    // mmh3.hash_bytes(b'h\0' + b'x' * n, 0, x64arch=False) for n = 0, 5, 14, 15, 30
    const reference: Record<number, string> = {
      0: 'dca62ad6e935b442e935b442e935b442',
      5: 'c08407c0a971ec0c9976b3aa9976b3aa',
      14: '4842c2c468409c128b26fe53e0f59056',
      15: 'd9d79f3e824d45160afd22cf30b1efb8',
      30: '2839befb4609a4b0f9ba151000d63664',
    };
    const out = new Int32Array(4);
    for (const [n, hex] of Object.entries(reference)) {
      const bytes = new TextEncoder().encode(`h\u0000${'x'.repeat(Number(n))}`);
      murmur3x86128(bytes, 0, bytes.length, out, 0);
      let got = '';
      for (const w of out) for (let b = 0; b < 4; b++) got += ((w >>> (8 * b)) & 0xff).toString(16).padStart(2, '0');
      expect([n, got]).toEqual([n, hex]);
    }
  });

  it('given a re-send (same source, id and time), then the same key; another hour, source or id, then another', () => {
    const t = Date.UTC(2026, 10, 21, 10, 15);
    const key = eventKeyHex('host/a', 'e1', t);
    expect(eventKeyHex('host/a', 'e1', t)).toBe(key);
    expect(eventKeyHex('host/a', 'e1', t + 40 * 60_000)).toBe(key); // same hour
    expect(eventKeyHex('host/a', 'e1', t + H)).not.toBe(key);
    expect(eventKeyHex('host/b', 'e1', t)).not.toBe(key);
    expect(eventKeyHex('host/a', 'e2', t)).not.toBe(key);
    expect(eventKeyHex('host/a1', '', t)).not.toBe(eventKeyHex('host/a', '1', t)); // the separator counts
  });

  it('given 200,000 realistic ids, then no two keys collide and the hash bits look uniform', () => {
    const t = Date.UTC(2026, 10, 21, 10);
    const seen = new Set<string>();
    const buckets = new Array<number>(256).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const hex = eventKeyHex(
        `host/r${i % 34}-01`,
        `m_${(i % 10_000).toString(36).padStart(5, '0')}/run/${Math.floor(i / 10_000)}`,
        t,
      );
      seen.add(hex);
      buckets[parseInt(hex.slice(8, 10), 16)]! += 1; // the first hash byte
    }
    expect(seen.size).toBe(n);
    // Chi-square over 256 buckets (255 degrees of freedom): above ~350 would be suspicious.
    const expected = n / 256;
    const chi2 = buckets.reduce((s, b) => s + (b - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(350);
  });

  it('epochDay is the UTC day, also before 1970', () => {
    expect(epochDay(Date.UTC(2026, 0, 1, 23, 59))).toBe(Date.UTC(2026, 0, 1) / 86_400_000);
    expect(epochDay(-1)).toBe(-1);
  });
});
