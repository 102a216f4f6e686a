import fc from 'fast-check';
import { isIP } from 'node:net';
import { createHmac } from 'node:crypto';
import { anonymizeIp, pseudonym, pseudonymizedFields, pseudonymizeEvent, PseudonymizationError } from '#domain/privacy';

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

describe('pseudonymization', () => {
  const key = Buffer.from('k'.repeat(64));
  const settings = { fields: pseudonymizedFields(['user_id', 'anonymous_id']), key };

  it('replaces the listed ids by their HMAC-SHA256 under the key, and never hashes a pseudonym twice', () => {
    const event = { event_id: 'e', user_id: 'jane@example.com', anonymous_id: 'a-1', session_id: 's-1' };
    const once = pseudonymizeEvent(event, settings);
    expect(once).toEqual({
      event_id: 'e',
      user_id: `ps_${createHmac('sha256', key).update('jane@example.com').digest('hex')}`,
      anonymous_id: `ps_${createHmac('sha256', key).update('a-1').digest('hex')}`,
      session_id: 's-1',
    });
    expect(pseudonymizeEvent(once, settings)).toEqual(once);
    expect(event.user_id).toBe('jane@example.com');
  });

  it('gives the same person the same pseudonym under one key, another under another key', () => {
    expect(pseudonym('a-1', key)).toBe(pseudonym('a-1', key));
    expect(pseudonym('a-1', Buffer.from('other'))).not.toBe(pseudonym('a-1', key));
    // Only an exact pseudonym passes unhashed: a prefix is not enough to smuggle a raw id through.
    expect(pseudonym('ps_jane@example.com', key)).toMatch(/^ps_[0-9a-f]{64}$/);
  });

  it('leaves alone what it cannot change, and names the fields it can', () => {
    expect(pseudonymizeEvent({ user_id: 42 }, settings)).toEqual({ user_id: 42 });
    expect(pseudonymizeEvent('junk', settings)).toBe('junk');
    expect(pseudonymizeEvent({ user_id: 'u' }, undefined)).toEqual({ user_id: 'u' });
    expect(() => pseudonymizedFields(['email'])).toThrow(
      new PseudonymizationError('Cannot pseudonymize "email"; the fields that can be: user_id, anonymous_id.'),
    );
  });
});
