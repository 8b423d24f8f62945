import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-sender';

/** The POST itself, against a real HTTP server on loopback: the address rules at delivery time, timeouts, redirects. */
describe('postWebhook', () => {
  let server: Server;
  let port: number;
  let hits: string[];

  beforeAll(async () => {
    hits = [];
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/slow') return void setTimeout(() => res.end(), 2_000);
      if (req.url === '/moved') {
        res.statusCode = 301;
        res.setHeader('location', '/ok');
        return void res.end();
      }
      res.statusCode = 204;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('refuses loopback at delivery time when the host is not allowed (a name resolved now, or a literal)', async () => {
    // "localhost" resolves to loopback: the connection's own look-up refuses it, so a name that
    // pointed elsewhere when the alert was saved cannot reach an internal address now.
    await expect(postWebhook(`http://localhost:${port}/ok`, '{}', {}, [])).resolves.toMatchObject({
      kind: 'refused',
      error: expect.stringContaining('loopback'),
    });
    await expect(postWebhook(`http://127.0.0.1:${port}/ok`, '{}', {}, [])).resolves.toMatchObject({ kind: 'refused' });
    await expect(postWebhook(`http://[::ffff:127.0.0.1]:${port}/ok`, '{}', {}, [])).resolves.toMatchObject({
      kind: 'refused',
    });
    expect(hits).toEqual([]);
  });

  it('posts to an allowed host, and answers a redirect as it came, without following it', async () => {
    await expect(postWebhook(`http://localhost:${port}/ok`, '{}', {}, ['localhost'])).resolves.toEqual({
      kind: 'answered',
      status: 204,
    });
    await expect(postWebhook(`http://127.0.0.1:${port}/moved`, '{}', {}, ['127.0.0.1'])).resolves.toEqual({
      kind: 'answered',
      status: 301,
    });
    expect(hits).toEqual(['/ok', '/moved']);
  });

  it('gives up on a receiver slower than the timeout', async () => {
    const started = Date.now();
    const o = await postWebhook(`http://127.0.0.1:${port}/slow`, '{}', {}, ['127.0.0.1'], 300);
    expect(o).toMatchObject({ kind: 'error', error: expect.stringContaining('no answer within 300 ms') });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
