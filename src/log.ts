import type { BaseLogger } from 'pino';

/** What services, processors and adapters need of a logger (pino's, Fastify's or a child). */
export type Log = Pick<BaseLogger, 'error' | 'warn' | 'info' | 'debug'>;
