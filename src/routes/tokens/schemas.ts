import { Type } from 'typebox';
import { Slug } from '../common.js';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('photographer'), Type.Literal('press')]);

export const MintBody = Type.Object({
  role: Role,
  event: Type.Optional(Slug),
  label: Type.String({ minLength: 1, maxLength: 200 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

export const MintedToken = Type.Object({
  id: Type.String({ format: 'uuid' }),
  token: Type.String({ description: 'the bearer secret; shown once, stored only as its SHA-256' }),
  role: Role,
  event: Type.Union([Type.String(), Type.Null()]),
  label: Type.String(),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const TokenParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
