/**
 * The idle timeout (HTTP_IDLE_TIMEOUT_MS) is for clients that stop sending. A connection on
 * which the server is the one not reading — a body paused by backpressure because storage is
 * slower than the client, or read whole while the server works on its answer — is not idle:
 * under an upload storm the API and its S3 server fall minutes behind, and the timer cut off
 * hundreds of uploads that were waiting on the server (bench/load).
 *
 * So the socket's timer is off while a body is paused by the server, and from the moment the
 * request is read whole (at once for one without a body: a page or a rendition the server is
 * slow to answer, waiting on the database); it is on again while the server reads a body and
 * once the answer is being sent (a client that stops reading a response is still cut off; Node
 * sets the keep-alive timeout after the answer).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** inject()'s requests (light-my-request) have a socket without timers */
function setIdle(socket: Socket | undefined, ms: number): void {
  if (typeof socket?.setTimeout === 'function' && !socket.destroyed) socket.setTimeout(ms);
}

export function serverWaitsAreNotIdle(app: FastifyInstance, idleMs: number): void {
  app.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    const socket = req.socket;
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody) {
      // read whole with its headers: what follows is the server's work, until it answers
      setIdle(socket, 0);
    } else {
      req.on('pause', () => setIdle(socket, 0));
      req.on('resume', () => {
        if (!req.complete) setIdle(socket, idleMs);
      });
      req.once('end', () => setIdle(socket, 0));
    }
    // The answer's headers, however they are sent (Fastify's send, a hijacked live stream, Node's
    // implicit headers on the first write), start the timer again.
    const res = reply.raw;
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      setIdle(socket, idleMs);
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
    done();
  });
}
