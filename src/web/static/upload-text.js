// What the uploader says and how it reads what it is given: the credential in a pasted link,
// sizes, speeds and times in the page's language, and the reason for a refusal in words. No
// DOM here, so Node tests import it as it is.

/**
 * The token in what a photographer pasted or opened: a whole upload link
 * (`https://…/ar/upload#token=…`), a fragment (`#token=…`), or the bare token. Null when there
 * is nothing token-like (spaces, or empty).
 */
export function parseCredential(input) {
  const text = String(input ?? '').trim();
  if (text === '') return null;
  const hash = text.indexOf('#');
  if (hash !== -1) {
    const token = new URLSearchParams(text.slice(hash + 1)).get('token');
    return token && /^[\w.~+/=-]+$/.test(token) ? token : null;
  }
  // a link without a fragment names no token; a bare token is URL-safe text without spaces
  if (/^[a-z]+:\/\//i.test(text) || text.includes('/upload')) return null;
  return /^[\w.~+/=-]{16,}$/.test(text) ? text : null;
}

/** The server's error code in a reason: `LAMHA_PIXEL_LIMIT: …` or an API error body's `code`. */
export function errorCode(reason) {
  if (reason && typeof reason === 'object' && typeof reason.code === 'string') return reason.code;
  const m = /^(LAMHA_[A-Z0-9_]+)/.exec(String(reason ?? ''));
  return m ? m[1] : null;
}

/**
 * A refusal in the page's language: the sentence for its code when the page has one, else the
 * server's own message (in English, but better than nothing), else a generic sentence.
 * `t(key)` answers undefined for a key the page does not have.
 */
export function reasonText(t, reason) {
  const code = errorCode(reason);
  const own = code ? t(`upload.error.${code}`) : undefined;
  if (own) return own;
  const message = typeof reason === 'object' && reason !== null ? reason.message : typeof reason === 'string' ? reason.replace(/^LAMHA_[A-Z0-9_]+:?\s*/, '') : '';
  return message ? t('upload.error.server').replace('{message}', message) : t('upload.error.generic');
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];

/** 3.4 MB, 12 kB: decimal units, as operating systems' file managers show sizes to photographers. */
export function formatBytes(bytes, lang) {
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < UNITS.length - 1) { n /= 1000; i++; }
  return new Intl.NumberFormat(lang, { style: 'unit', unit: UNITS[i], unitDisplay: 'short', maximumFractionDigits: n < 10 && i > 0 ? 1 : 0 }).format(n);
}

/** 2.5 MB/s */
export function formatSpeed(bytesPerSecond, lang) {
  let i = 0;
  let n = bytesPerSecond;
  while (n >= 1000 && i < 3) { n /= 1000; i++; }
  return new Intl.NumberFormat(lang, { style: 'unit', unit: `${UNITS[i]}-per-second`, unitDisplay: 'short', maximumFractionDigits: n < 10 && i > 0 ? 1 : 0 }).format(n);
}

/** A time left, rounded up to what a person plans with: seconds under a minute, then minutes, then hours and a half. */
export function formatDuration(seconds, lang) {
  const unit = (value, u) => new Intl.NumberFormat(lang, { style: 'unit', unit: u, unitDisplay: 'long', maximumFractionDigits: 1 }).format(value);
  if (seconds < 60) return unit(Math.max(1, Math.ceil(seconds)), 'second');
  if (seconds < 3600) return unit(Math.ceil(seconds / 60), 'minute');
  return unit(Math.ceil(seconds / 1800) / 2, 'hour');
}

/**
 * Bytes per second over the last `windowMs` of samples ({at, bytes}, oldest first): recent enough
 * to follow a changing connection, long enough not to jump with each progress event.
 */
export function rate(samples, now, windowMs = 8000) {
  const recent = samples.filter((s) => now - s.at <= windowMs);
  if (recent.length < 2) return 0;
  const first = recent[0];
  const last = recent[recent.length - 1];
  const seconds = (last.at - first.at) / 1000;
  return seconds > 0.25 ? Math.max(0, (last.bytes - first.bytes) / seconds) : 0;
}

/** Text of a localized map ({ar: …, en: …}) in `lang`, else the default, else any, with the language it is in; null when none. */
export function pick(map, lang, fallback) {
  if (!map || typeof map !== 'object') return null;
  for (const tag of [lang, fallback, ...Object.keys(map)]) {
    const v = map[tag];
    if (typeof v === 'string' && v.trim() !== '') return { text: v, lang: tag };
  }
  return null;
}

/** pick()'s text alone; '' when none. */
export function localized(map, lang, fallback) {
  return pick(map, lang, fallback)?.text ?? '';
}
