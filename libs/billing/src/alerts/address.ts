/**
 * Where a webhook may not go: addresses inside the platform's own networks (SSRF). Pure: the
 * caller resolves the host and classifies each address it got.
 */
export type AddressClass =
  'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'reserved' | 'not-an-ip';

/** The four bytes of a dotted IPv4 address, or null. */
export function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^(0|[1-9]\d{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** The eight 16-bit groups of an IPv6 address (zone id dropped, embedded IPv4 allowed), or null. */
export function parseIpv6(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, '');
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(':')) return null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 address ("::ffff:10.0.0.1") is the last two groups.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return null;
    s = `${s.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out = h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
    return out.every((g) => !Number.isNaN(g)) ? out : null;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return null;
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return null;
  return [...head, ...new Array<number>(8 - given).fill(0), ...rest];
}

function classifyV4([a, b, c, d]: number[]): AddressClass {
  if (a === 0) return 'unspecified'; // 0.0.0.0/8: "this host", reaches the local machine
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b! >= 64 && b! <= 127) return 'private'; // 100.64.0.0/10, carrier-grade NAT
  if (a === 169 && b === 254) return 'link-local'; // also the cloud metadata address
  if (a === 192 && b === 0 && c === 0) return 'reserved'; // 192.0.0.0/24, protocol assignments
  if (a === 198 && (b === 18 || b === 19)) return 'reserved'; // benchmarking
  if (a! >= 224 && a! <= 239) return 'multicast';
  if (a! >= 240 || (a === 255 && b === 255 && c === 255 && d === 255)) return 'reserved';
  return 'public';
}

function classifyV6(g: number[]): AddressClass {
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return 'unspecified';
  if (zeroTo(7) && g[7] === 1) return 'loopback';
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible (::a.b.c.d): the IPv4 address decides.
  if (zeroTo(5) && (g[5] === 0xffff || g[5] === 0)) return classifyV4(v4(g[6]!, g[7]!));
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address; so does 6to4 (2002::/16).
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(v4(g[6]!, g[7]!));
  if (g[0] === 0x2002) return classifyV4(v4(g[1]!, g[2]!));
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private'; // fc00::/7, unique local
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private'; // fec0::/10, the old site-local
  if ((g[0]! & 0xff00) === 0xff00) return 'multicast';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved'; // documentation
  return 'public';
}

export function classifyAddress(ip: string): AddressClass {
  const v4 = parseIpv4(ip);
  if (v4) return classifyV4(v4);
  const v6 = parseIpv6(ip);
  return v6 ? classifyV6(v6) : 'not-an-ip';
}

/** Hosts compared as the allow list names them: lower case, without IPv6 brackets or a trailing dot. */
export function normalHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/**
 * Why a webhook may not go to `host` at `addresses` (what it resolved to), or null when it may:
 * every address must be public, unless the host is on the allow list.
 */
export function refusedTarget(
  host: string,
  addresses: readonly string[],
  allowHosts: readonly string[],
): string | null {
  if (allowHosts.map(normalHost).includes(normalHost(host))) return null;
  if (addresses.length === 0) return `host '${host}' has no address`;
  for (const a of addresses) {
    const c = classifyAddress(a);
    if (c !== 'public')
      return `host '${host}' resolves to ${a}, a ${c} address (allowed only for hosts in ALERT_WEBHOOK_ALLOW_HOSTS)`;
  }
  return null;
}

/** The problem with a webhook URL as text (not http(s), credentials in it...), or null. */
export function webhookUrlProblem(text: string): string | null {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http or https URL';
  if (u.username !== '' || u.password !== '') return 'must not carry credentials';
  if (u.hostname === '') return 'must name a host';
  return null;
}
