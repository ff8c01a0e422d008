/** Content coding for the bodies Lamha compresses itself (pages, scripts and styles). */
import { LRUCache } from 'lru-cache';
import Negotiator from 'negotiator';

export type Encoding = 'br' | 'gzip' | 'identity';

const AVAILABLE: Encoding[] = ['br', 'gzip', 'identity'];

/** negotiator 1.x takes a preference order for ties; @types/negotiator (0.6) does not know it yet. */
interface NegotiatorWithPreferred {
  encoding(available: string[], options: { preferred: string[] }): string | undefined;
}

const chosen = new LRUCache<string, Encoding>({ max: 1000 });

/**
 * The best encoding the client accepts: its weights first; among equals, brotli (smallest),
 * then gzip. Header values repeat, so answers are remembered.
 */
export function chooseEncoding(header: string | undefined): Encoding {
  if (!header) return 'identity';
  let enc = chosen.get(header);
  if (enc === undefined) {
    const negotiator = new Negotiator({ headers: { 'accept-encoding': header } }) as unknown as NegotiatorWithPreferred;
    enc = (negotiator.encoding(AVAILABLE, { preferred: AVAILABLE }) as Encoding | undefined) ?? 'identity';
    chosen.set(header, enc);
  }
  return enc;
}
