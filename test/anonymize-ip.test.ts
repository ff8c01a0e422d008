import t from 'tap';
import { anonymizeIp } from '../src/anonymize-ip.js';

t.test('keeps the /24 of an IPv4 address', async (t) => {
  t.equal(anonymizeIp('203.0.113.77'), '203.0.113.0');
  t.equal(anonymizeIp('10.1.2.255'), '10.1.2.0');
  t.equal(anonymizeIp('127.0.0.1'), '127.0.0.0');
});

t.test('treats an IPv4-mapped IPv6 address as the IPv4 address', async (t) => {
  t.equal(anonymizeIp('::ffff:203.0.113.77'), '203.0.113.0');
  t.equal(anonymizeIp('::FFFF:203.0.113.77'), '203.0.113.0', 'hex digits are case-insensitive');
});

t.test('keeps the first three groups (/48) of an IPv6 address', async (t) => {
  t.equal(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348'), '2001:db8:85a3::');
  t.equal(anonymizeIp('2001:0db8:0000:0042::1'), '2001:db8:0::');
  t.equal(anonymizeIp('2001:db8::1'), '2001:db8:0::');
  t.equal(anonymizeIp('::1'), '0:0:0::');
  t.equal(anonymizeIp('fe80::1%eth0'), 'fe80:0:0::');
});

t.test('answers "unknown" for anything that is not an IP address', async (t) => {
  for (const s of ['', 'unknown', 'localhost', '999.1.2.3', '1.2.3', '1.2.3.4:8080', '::ffff:999.1.2.3', '2001:db8::1::2', 'gggg::1', ' 1.2.3.4']) {
    t.equal(anonymizeIp(s), 'unknown', JSON.stringify(s));
  }
});
