import { PassThrough } from 'node:stream';
import t from 'tap';
import { createLogger, logDestination } from '../src/log.js';

function capture(isTTY: boolean): { out: PassThrough & { isTTY?: boolean }; text: () => string } {
  const out: PassThrough & { isTTY?: boolean } = new PassThrough();
  out.isTTY = isTTY;
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { out, text: () => text };
}

// an access line as src/app.ts writes it once a request completes
const access = { reqId: 'req-7', req: { method: 'GET', url: '/api/v1/events', remoteAddress: '203.0.113.0' }, res: { statusCode: 200 }, responseTime: 3.4128 };
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

t.test('on a terminal: one readable line per event, the access line as method, path, status and time', async (t) => {
  const { out, text } = capture(true);
  const log = createLogger({ level: 'info', name: 'lamha' }, logDestination(out));
  log.info('embedded S3 server on http://127.0.0.1:9310');
  log.info(access, 'request completed');
  log.warn({ code: 'LAMHA_NOT_FOUND' }, 'request refused');
  const lines = plain(text()).trimEnd().split('\n');
  t.equal(lines.length, 3, 'one line per event');
  t.match(lines[0], /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(lamha\): embedded S3 server on http:\/\/127\.0\.0\.1:9310$/);
  t.match(lines[1], /INFO \(lamha\): GET \/api\/v1\/events 200 3 ms \{"reqId":"req-7"\}$/);
  t.match(lines[2], /WARN \(lamha\): request refused \{"code":"LAMHA_NOT_FOUND"\}$/);
  t.notMatch(text(), '"level"', 'no JSON record');
  t.notMatch(plain(text()), 'hostname');
});

t.test('anywhere else: JSON lines, each record whole', async (t) => {
  const { out, text } = capture(false);
  const log = createLogger({ level: 'info', name: 'lamha-worker' }, logDestination(out));
  log.info(access, 'request completed');
  await new Promise((r) => setImmediate(r));
  const lines = text().trimEnd().split('\n');
  t.equal(lines.length, 1);
  t.match(JSON.parse(lines[0]!), { level: 30, name: 'lamha-worker', msg: 'request completed', req: access.req, res: access.res, responseTime: access.responseTime });
});

t.test('the same terminal gets the same stream, so the API and the process log interleave in order', async (t) => {
  const { out } = capture(true);
  t.equal(logDestination(out), logDestination(out));
});
