import { describe, expect, it } from 'vitest';
import { blockedHostname, classifyAddress } from './address-rules.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['0.0.0.0', 'reserved'],
    ['224.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['fdaa:0:1::2', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'reserved'],
    ['2001:db8::1', 'reserved'],
  ])('%s is %s', (ip, kind) => expect(classifyAddress(ip)).toBe(kind));

  it.each(['8.8.8.8', '1.1.1.1', '104.16.0.1', '172.32.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', 'example.com'])(
    '%s is public (or not an IP)',
    (ip) => expect(classifyAddress(ip)).toBeUndefined(),
  );
});

describe('blockedHostname', () => {
  it.each(['localhost', 'LOCALHOST.', 'a.localhost', 'metadata.google.internal', 'my-app.internal', 'printer.local', 'db', 'metadata', 'x.flycast'])(
    'blocks %s',
    (host) => expect(blockedHostname(host)).toBeDefined(),
  );
  it.each(['example.com', 'api.github.com', 'mcp.example.org'])('allows %s', (host) => expect(blockedHostname(host)).toBeUndefined());
});
