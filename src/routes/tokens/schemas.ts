import { Type } from 'typebox';
import { Slug } from '../common.js';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('photographer'), Type.Literal('press')]);

export const MintBody = Type.Object({
  role: Role,
  event: Type.Optional(Slug),
  album: Type.Optional({ ...Slug, description: 'a photographer token uploads into this album of its event only' }),
  label: Type.String({ minLength: 1, maxLength: 200 }),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
}, { additionalProperties: false });

export const MintedToken = Type.Object({
  id: Type.String({ format: 'uuid' }),
  token: Type.String({ description: 'the bearer secret; shown once, stored only as its SHA-256' }),
  role: Role,
  event: Type.Union([Type.String(), Type.Null()]),
  album: Type.Union([Type.String(), Type.Null()]),
  label: Type.String(),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const TokenParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const TokenListQuery = Type.Object({
  cursor: Type.Optional(Type.String({ format: 'uuid', description: 'nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
}, { additionalProperties: false });

const Stamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

/** A token as listed: never its secret nor the hash of it. */
export const TokenInfo = Type.Object({
  id: Type.String({ format: 'uuid' }),
  role: Role,
  label: Type.String(),
  event: Type.Union([Type.String(), Type.Null()]),
  album: Type.Union([Type.String(), Type.Null()]),
  link: Type.Boolean({ description: 'handed out as an upload link' }),
  creator: Type.Union([Type.Object({ id: Type.String({ format: 'uuid' }), label: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Stamp,
  revokedAt: Stamp,
  lastUsedAt: Type.Union([Type.String({ format: 'date-time', description: 'recorded at most once a minute' }), Type.Null()]),
});

export const TokenList = Type.Object({
  tokens: Type.Array(TokenInfo),
  nextCursor: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
});
