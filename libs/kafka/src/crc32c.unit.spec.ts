import { crc32c } from './crc32c';

describe('crc32c', () => {
  it('matches the published check values of CRC-32C (RFC 3720, appendix B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('gives the same answer on every length, whatever the 8-byte alignment', () => {
    const data = Buffer.from(Array.from({ length: 103 }, (_, i) => (i * 37 + 11) & 0xff));
    // byte-at-a-time reference
    const slow = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (let n = 0; n <= data.length; n++)
      expect([n, crc32c(data.subarray(0, n))]).toEqual([n, slow(data.subarray(0, n))]);
  });
});
