import fc from 'fast-check';
import { isIP } from 'node:net';
import { anonymizeIp } from '#domain/privacy';

describe('anonymizeIp', () => {
  it('keeps the first 3 octets of IPv4 and the first 3 groups (/48) of IPv6 by default', () => {
    expect(anonymizeIp('203.0.113.97')).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:DB8::1')).toBe('2001:db8::');
    expect(anonymizeIp('fe80::1%eth0')).toBe('fe80::');
  });

  it('anonymizes an IPv4-mapped IPv6 client as IPv4', () => {
    expect(anonymizeIp('::ffff:198.51.100.23')).toBe('198.51.100.0');
    expect(anonymizeIp('::ffff:c633:6417')).toBe('198.51.100.0');
  });

  it('keeps as much as the settings say, whole addresses included', () => {
    expect(anonymizeIp('203.0.113.97', { ipv4KeepOctets: 2, ipv6KeepGroups: 4 })).toBe('203.0.0.0');
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348', { ipv4KeepOctets: 2, ipv6KeepGroups: 4 })).toBe('2001:db8:85a3:8d3::');
    expect(anonymizeIp('203.0.113.97', { ipv4KeepOctets: 4, ipv6KeepGroups: 8 })).toBe('203.0.113.97');
    expect(anonymizeIp('2001:db8:0:0:1:0:0:1', { ipv4KeepOctets: 4, ipv6KeepGroups: 8 })).toBe('2001:db8::1:0:0:1');
  });

  it('drops what is not an address', () => {
    for (const value of ['', 'unknown', 'jane@example.com', '203.0.113.97, 10.0.0.1', '999.1.1.1']) expect(anonymizeIp(value)).toBeUndefined();
  });

  it('always gives an address (IPv4 for IPv4), and anonymizing twice changes nothing (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const once = anonymizeIp(ip)!;
        expect(isIP(once)).toBeGreaterThan(0);
        if (isIP(ip) === 4) expect(isIP(once)).toBe(4);
        expect(anonymizeIp(once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
