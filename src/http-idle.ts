/**
 * The idle timeout (HTTP_IDLE_TIMEOUT_MS) is for clients that stop sending. A connection on
 * which the server is the one not reading — a body paused by backpressure because storage is
 * slower than the client, or read whole while the server works on its answer — is not idle:
 * under an upload storm the API and its S3 server fall minutes behind, and the timer cut off
 * hundreds of uploads that were waiting on the server (bench/load).
 *
 * So, for a request with a body, the socket's timer is off while the body is paused by the
 * server and after it has been read whole, and on again while the server reads it and once the
 * answer is being sent (a client that stops reading a response is still cut off; Node sets the
 * keep-alive timeout after the answer).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** inject()'s requests (light-my-request) have a socket without timers */
function setIdle(socket: Socket | undefined, ms: number): void {
  if (typeof socket?.setTimeout === 'function' && !socket.destroyed) socket.setTimeout(ms);
}

export function serverWaitsAreNotIdle(app: FastifyInstance, idleMs: number): void {
  app.addHook('onRequest', (request, _reply, done) => {
    const req = request.raw;
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody) {
      const socket = req.socket;
      req.on('pause', () => setIdle(socket, 0));
      req.on('resume', () => {
        if (!req.complete) setIdle(socket, idleMs);
      });
      req.once('end', () => setIdle(socket, 0));
    }
    done();
  });
  app.addHook('onSend', (request, _reply, payload, done) => {
    setIdle(request.raw.socket, idleMs);
    done(null, payload);
  });
}
