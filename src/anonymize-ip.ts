/**
 * Visitors' IP addresses never reach a log whole: IPv4 keeps its /24, IPv6 its /48.
 */
import net from 'node:net';

export function anonymizeIp(ip: string): string {
  // hex digits are case-insensitive: '::FFFF:1.2.3.4' is the same mapped address
  const v4 = /^::ffff:/i.test(ip) && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  if (net.isIPv4(v4)) return v4.split('.').slice(0, 3).concat('0').join('.');
  if (net.isIPv6(ip)) {
    const expanded = expandIPv6(ip);
    return `${expanded.slice(0, 3).join(':')}::`;
  }
  return 'unknown';
}

function expandIPv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.replace(/^0+(?=.)/, ''));
}
