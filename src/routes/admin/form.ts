/** Reading the console's urlencoded forms (@fastify/formbody: a repeated field is an array). */

export type Form = Record<string, string | string[] | undefined>;

/** A field's one value ('' when absent; the first when repeated). */
export function field(form: Form, name: string): string {
  const v = form[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** Every value of a repeated field (checkboxes). */
export function fields(form: Form, name: string): string[] {
  const v = form[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** `title.ar`, `title.en`…: the text per language the form holds, blank ones left out. */
export function localized(form: Form, prefix: string, locales: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of locales) {
    const text = field(form, `${prefix}.${l}`).trim();
    if (text !== '') out[l] = text;
  }
  return out;
}

/**
 * What changed in a multilingual text: a language's new text, or null where it was emptied
 * (JSON Merge Patch, as the asset service takes); undefined when nothing changed or the form
 * did not hold the field at all.
 */
export function localizedChange(form: Form, prefix: string, locales: readonly string[], before: Record<string, string>): Record<string, string | null> | undefined {
  const change: Record<string, string | null> = {};
  for (const l of locales) {
    if (form[`${prefix}.${l}`] === undefined) continue;
    const text = field(form, `${prefix}.${l}`).trim();
    const old = (before[l] ?? '').trim();
    if (text !== old) change[l] = text === '' ? null : text;
  }
  return Object.keys(change).length > 0 ? change : undefined;
}
