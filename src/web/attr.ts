/**
 * URLs in attributes without ghtml's entity escaping of `=` (`?v=` would become `?v&#61;` in
 * every srcset candidate, a few kilobytes on a 200-photo page). Only strings made solely of
 * characters that cannot end or change an attribute pass through as they are; anything else is
 * escaped like ghtml does.
 */
const SAFE = /^[A-Za-z0-9/._~?=%:,+ -]*$/;

const ENTITIES: Record<string, string> = { '"': '&#34;', '&': '&#38;', "'": '&#39;', '<': '&#60;', '=': '&#61;', '>': '&#62;' };

/** For `attr="!${attrUrl(url)}"` — the value must be quoted with double quotes. */
export function attrUrl(value: string): string {
  return SAFE.test(value) ? value : value.replace(/["&'<=>]/g, (c) => ENTITIES[c]!);
}
