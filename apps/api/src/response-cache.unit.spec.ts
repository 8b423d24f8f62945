import { Rendered, ResponseCache } from './response-cache';

const rendered = (text: string): Rendered => ({ body: Buffer.from(text), contentType: 'text/plain' });

describe('ResponseCache', () => {
  it('given the same key and version, then renders once and serves the same bytes and tag', async () => {
    const cache = new ResponseCache(1000);
    let renders = 0;
    const render = async () => rendered(`answer ${++renders}`);
    const a = await cache.get('k', 'v1', render);
    const b = await cache.get('k', 'v1', render);
    expect([renders, b.body.toString(), b.etag]).toEqual([1, 'answer 1', a.etag]);
  });

  it('given a new version, then renders again; equal bodies keep equal tags', async () => {
    const cache = new ResponseCache(1000);
    const a = await cache.get('k', 'v1', async () => rendered('same'));
    const b = await cache.get('k', 'v2', async () => rendered('same'));
    const c = await cache.get('k', 'v3', async () => rendered('changed'));
    expect(b.etag).toBe(a.etag);
    expect(c.etag).not.toBe(a.etag);
  });

  it('given requests arriving while one renders, then they share that one rendering', async () => {
    const cache = new ResponseCache(1000);
    let renders = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const render = async () => {
      renders++;
      await gate;
      return rendered('slow');
    };
    const all = Promise.all([cache.get('k', 'v', render), cache.get('k', 'v', render), cache.get('k', 'v', render)]);
    release();
    expect((await all).map((r) => r.body.toString())).toEqual(['slow', 'slow', 'slow']);
    expect(renders).toBe(1);
  });

  it('given a failed rendering, then the next request tries again', async () => {
    const cache = new ResponseCache(1000);
    await expect(cache.get('k', 'v', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect((await cache.get('k', 'v', async () => rendered('ok'))).body.toString()).toBe('ok');
  });

  it('given more bytes than the budget, then the least recently used leave first, and an oversized answer is not kept', async () => {
    const cache = new ResponseCache(30, 20);
    await cache.get('a', 'v', async () => rendered('a'.repeat(10)));
    await cache.get('b', 'v', async () => rendered('b'.repeat(10)));
    await cache.get('a', 'v', async () => rendered('never'));
    await cache.get('c', 'v', async () => rendered('c'.repeat(15)));
    let rerendered = '';
    await cache.get('b', 'v', async () => ((rerendered = 'b'), rendered('b'.repeat(10))));
    expect(rerendered).toBe('b');
    await cache.get('huge', 'v', async () => rendered('h'.repeat(25)));
    expect(cache.size.bytes).toBeLessThanOrEqual(30);
    expect((await cache.get('huge', 'v', async () => rendered('again'))).body.toString()).toBe('again');
  });
});

describe('ResponseCache compression', () => {
  it('given a large body, then keeps it gzipped too, and the gzip inflates to the body', async () => {
    const { gunzipSync } = await import('node:zlib');
    const cache = new ResponseCache(1_000_000);
    const big = await cache.get('big', 'v', async () => rendered('x'.repeat(5000)));
    const small = await cache.get('small', 'v', async () => rendered('tiny'));
    expect(gunzipSync(big.gzip!).toString()).toBe('x'.repeat(5000));
    expect(big.gzip!.length).toBeLessThan(200);
    expect(small.gzip).toBeNull();
  });
});
