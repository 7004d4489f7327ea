import { isIP } from 'node:net';

/** Why an address may not be the target of a tenant-supplied URL. */
export type BlockedAddressKind = 'loopback' | 'private' | 'link-local' | 'metadata' | 'reserved';

const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '192.0.0.192']);

/** IPv4 ranges no tenant URL may reach, most specific first. */
const V4_RANGES: Array<[string, number, BlockedAddressKind]> = [
  ['0.0.0.0', 8, 'reserved'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'reserved'],
  ['240.0.0.0', 4, 'reserved'],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => (n << 8) + Number(part), 0) >>> 0;
}

function classifyV4(ip: string): BlockedAddressKind | undefined {
  if (METADATA_V4.has(ip)) return 'metadata';
  const n = v4ToInt(ip);
  for (const [base, bits, kind] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === (v4ToInt(base) & mask) >>> 0) return kind;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded dotted IPv4 tail expanded). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    text = `${text.slice(0, -dotted[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

const v4FromGroups = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

function classifyV6(ip: string): BlockedAddressKind | undefined {
  const g = v6Groups(ip);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return 'reserved';
  if (zeros(7) && g[7] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
  if (zeros(5) && g[5] === 0xffff) return classifyV4(v4FromGroups(g[6]!, g[7]!)) ?? undefined;
  if (zeros(6)) return classifyV4(v4FromGroups(g[6]!, g[7]!)) ?? 'reserved';
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return classifyV4(v4FromGroups(g[6]!, g[7]!));
  if (g[0] === 0x2002) return classifyV4(v4FromGroups(g[1]!, g[2]!));
  if (g[0] === 0xfd00 && g[1] === 0x0ec2 && g.slice(2, 7).every((x) => x === 0) && g[7] === 0x254) return 'metadata';
  if ((g[0]! & 0xfe00) === 0xfc00) return 'private';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'private';
  if ((g[0]! & 0xff00) === 0xff00) return 'reserved';
  if (g[0] === 0x2001 && (g[1]! & 0xfe00) === 0) return 'reserved';
  if (g[0] === 0x2001 && g[1] === 0x0db8) return 'reserved';
  if (g[0] === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'reserved';
  return undefined;
}

/** Classifies an IP literal; undefined means a public address (or not an IP at all). */
export function classifyAddress(ip: string): BlockedAddressKind | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare.split('%')[0]!);
  if (family === 4) return classifyV4(bare);
  if (family === 6) return classifyV6(bare);
  return undefined;
}

const BLOCKED_SUFFIXES = ['.localhost', '.local', '.localdomain', '.internal', '.home.arpa', '.lan', '.flycast', '.intranet', '.corp'];

/**
 * Why a host name may not be used without even resolving it: loopback and internal names (`localhost`,
 * `*.internal` such as Fly's private DNS and GCP metadata, `*.local`), and single-label names, which
 * resolve through search domains to internal hosts.
 */
export function blockedHostname(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name === 'metadata' || name === 'instance-data') return 'names this machine or a metadata service';
  if (BLOCKED_SUFFIXES.some((s) => name.endsWith(s))) return `is an internal name (${BLOCKED_SUFFIXES.find((s) => name.endsWith(s))})`;
  if (!name.includes('.')) return 'is a single-label name (resolved through internal search domains)';
  return undefined;
}
