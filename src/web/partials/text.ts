import { html } from 'ghtml';
import type { Text } from '../i18n.js';

/** Multilingual text marked with its own language and direction (it may not be the page's). */
export function langAttrs(text: Text): string {
  return html` lang="${text.lang}" dir="${text.dir}"`;
}

/** `<p class="…" lang dir>text</p>`, or nothing when there is no text. */
export function para(cls: string, text: Text | null): string {
  return text ? html`<p class="${cls}"!${langAttrs(text)}>${text.text}</p>` : '';
}
