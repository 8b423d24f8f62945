import { isStorableText, lengthWithin, quote } from './text';

describe('lengthWithin', () => {
  it('given ASCII when measured then limits are inclusive', () => {
    expect(lengthWithin('', 1, 3)).toBe(false);
    expect(lengthWithin('a', 1, 3)).toBe(true);
    expect(lengthWithin('abc', 1, 3)).toBe(true);
    expect(lengthWithin('abcd', 1, 3)).toBe(false);
    expect(lengthWithin('', 0, 3)).toBe(true);
  });

  it('given astral characters when measured then each counts once, as Postgres counts them', () => {
    const emoji = '\u{1F680}';
    expect(lengthWithin(emoji.repeat(3), 1, 3)).toBe(true);
    expect(lengthWithin(emoji.repeat(4), 1, 3)).toBe(false);
    expect(lengthWithin(`ab${emoji}`, 1, 3)).toBe(true);
  });
});

describe('isStorableText', () => {
  it('given ordinary text, including non-Latin and astral characters, then it is storable', () => {
    expect(isStorableText('host/ord-7f2a')).toBe(true);
    expect(isStorableText('São Paulo \u{1F680} 東京')).toBe(true);
  });

  it.each<[string]>([
    ['a\u0000b'],
    ['line\nbreak'],
    ['tab\t'],
    ['del\u007f'],
    ['lone \ud800 high'],
    ['lone \udc00 low'],
    ['\udc00\ud800'],
  ])('given %p then it is not storable', (text) => {
    expect(isStorableText(text)).toBe(false);
  });
});

describe('quote', () => {
  it('given a long hostile value when quoted then it is cut short', () => {
    expect(quote('xx')).toBe("'xx'");
    expect(quote('y'.repeat(10_000)).length).toBeLessThan(80);
  });
});
