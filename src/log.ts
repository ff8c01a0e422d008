import { pino, type BaseLogger, type DestinationStream, type Logger } from 'pino';
import { build as prettyStream } from 'pino-pretty';

/** What services, processors and adapters need of a logger (pino's, Fastify's or a child). */
export type Log = Pick<BaseLogger, 'error' | 'warn' | 'info' | 'debug'>;

interface AccessLine {
  req?: { method?: string; url?: string; remoteAddress?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/** An access line as a person reads it: `GET /api/v1/events 200 3 ms`; other lines keep their message. */
function humanMessage(log: Record<string, unknown>, messageKey: string): string {
  const { req, res, responseTime } = log as AccessLine;
  const msg = String(log[messageKey] ?? '');
  if (!req?.method || res?.statusCode === undefined) return msg;
  const took = typeof responseTime === 'number' ? ` ${Math.round(responseTime)} ms` : '';
  const failed = msg === 'request completed' ? '' : ` (${msg})`;
  return `${req.method} ${req.url} ${res.statusCode}${took}${failed}`;
}

const terminals = new WeakMap<object, DestinationStream>();

/**
 * Where the process's log goes: on a terminal, one line a person can read per event (colours,
 * local time, no pid or host); anywhere else (a pipe, a file, a log collector) JSON lines, pino's
 * default. One stream per output, so the API's access log and the process log interleave in order.
 */
export function logDestination(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): DestinationStream | undefined {
  // pino's own destination for stdout (sonic-boom on fd 1) is the fastest way to write JSON
  if (!out.isTTY) return out === process.stdout ? undefined : out;
  let terminal = terminals.get(out);
  if (!terminal) {
    terminal = prettyStream({
      colorize: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,req,res,responseTime',
      singleLine: true,
      messageFormat: humanMessage,
      destination: out,
      sync: true,
    });
    terminals.set(out, terminal);
  }
  return terminal;
}

/** The process logger of `npm start`, the API and the worker: see logDestination for its format. */
export function createLogger(options: { level: string; name: string }, destination = logDestination()): Logger {
  return destination ? pino(options, destination) : pino(options);
}
