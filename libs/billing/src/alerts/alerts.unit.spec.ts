import { Dec } from '@metering/domain';
import { classifyAddress, parseIpv6, refusedTarget, webhookUrlProblem } from './address';
import { nextAttemptAt, retryDelayMs } from './backoff';
import { signWebhook, verifyWebhook } from './signature';
import { parseThreshold } from './threshold';
import { createHmac } from 'node:crypto';

describe('parseThreshold', () => {
  it.each(['250.00', '1', '0.01', '0.000001', '999999999999999.5'])('takes %s', (t) => {
    expect(parseThreshold(t)?.cmp(Dec.of(t))).toBe(0);
  });
  it.each([['0'], ['0.00'], ['-1'], ['1e3'], [' 1'], ['1.'], ['.5'], ['1.0000001'], [''], [250], [null], ['0x10']])(
    'refuses %p',
    (t) => expect(parseThreshold(t)).toBeNull(),
  );
});

describe('signWebhook', () => {
  it('is the hex HMAC-SHA256 of "<t>.<body>" under the secret, as a receiver computes it', () => {
    const body = '{"delivery_id":"d_1"}';
    const header = signWebhook('s3cret', body, 1_700_000_000.9);
    const want = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(header).toBe(`t=1700000000,v1=${want}`);
    expect(verifyWebhook('s3cret', body, header, 1_700_000_100)).toBe(true);
  });
  it('fails for another secret, another body, or an old time', () => {
    const header = signWebhook('s3cret', 'a', 1000);
    expect(verifyWebhook('other', 'a', header, 1000)).toBe(false);
    expect(verifyWebhook('s3cret', 'b', header, 1000)).toBe(false);
    expect(verifyWebhook('s3cret', 'a', header, 1000 + 301)).toBe(false);
    expect(verifyWebhook('s3cret', 'a', 't=1000,v1=zz', 1000)).toBe(false);
  });
});

describe('retry schedule', () => {
  it('doubles the ceiling per attempt from 10 s, up to an hour, drawing below it', () => {
    expect([1, 2, 3, 4, 10, 11, 50].map((a) => retryDelayMs(a, 0.999999))).toEqual([
      9_999, 19_999, 39_999, 79_999, 3_599_996, 3_599_996, 3_599_996,
    ]);
    expect(retryDelayMs(3, 0)).toBe(0);
    expect(retryDelayMs(3, 0.5)).toBe(20_000);
  });
  it('gives up once the next attempt would be more than 24 h after the firing', () => {
    const created = 0;
    expect(nextAttemptAt(created, 1, 1000, 0.5)).toBe(6000);
    expect(nextAttemptAt(created, 30, 24 * 3_600_000 - 10_000, 0.5)).toBeNull();
    expect(nextAttemptAt(created, 30, 24 * 3_600_000 - 10_000, 0)).toBe(24 * 3_600_000 - 10_000);
  });
});

describe('classifyAddress', () => {
  it.each([
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.1.2', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2606:4700:4700::1111', 'public'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:93.184.216.34', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:0101::1', 'private'],
    ['example.com', 'not-an-ip'],
    ['1.2.3', 'not-an-ip'],
    ['01.2.3.4', 'not-an-ip'],
    ['1::2::3', 'not-an-ip'],
    ['1:2:3:4:5:6:7:8:9', 'not-an-ip'],
  ])('%s is %s', (ip, want) => expect(classifyAddress(ip)).toBe(want));

  it('reads the groups of compressed and embedded forms', () => {
    expect(parseIpv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('refusedTarget', () => {
  it('refuses a host with any non-public address, unless it is allowed', () => {
    expect(refusedTarget('hooks.example', ['93.184.216.34'], [])).toBeNull();
    expect(refusedTarget('hooks.example', ['93.184.216.34', '10.0.0.1'], [])).toMatch(/10\.0\.0\.1, a private/);
    expect(refusedTarget('localhost', ['127.0.0.1'], ['LocalHost'])).toBeNull();
    expect(refusedTarget('[::1]', ['::1'], ['::1'])).toBeNull();
    expect(refusedTarget('nowhere.example', [], [])).toMatch(/no address/);
  });
  it('takes http(s) URLs only', () => {
    expect(webhookUrlProblem('https://hooks.example/x')).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/')).toBeNull();
    expect(webhookUrlProblem('ftp://hooks.example/')).toMatch(/http/);
    expect(webhookUrlProblem('file:///etc/passwd')).toMatch(/http/);
    expect(webhookUrlProblem('hooks.example')).toMatch(/absolute/);
    expect(webhookUrlProblem('https://u:p@hooks.example/')).toMatch(/credentials/);
  });
});
