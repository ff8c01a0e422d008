/** Schemas shared by several resources. */
import { Type } from 'typebox';
import { LOCALES } from '../locales.js';

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
}, { $id: 'Error' });

export const errorRefs = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')]));

export const Slug = Type.String({ pattern: '^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$', description: 'lowercase letters, digits and hyphens' });

export const LocaleTag = Type.Union(LOCALES.map((l) => Type.Literal(l)));

/** Multilingual text: BCP-47 tag → string. */
export const Localized = Type.Record(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' }), Type.String({ maxLength: 10_000 }), {
  description: 'text per locale, e.g. {"ar": "…", "en": "…"}',
});

export const Status = Type.Union([Type.Literal('draft'), Type.Literal('published')]);
