/**
 * What a graceful stop of the API needs to know: whether it is draining (/readyz answers 503),
 * and which route handlers are still running. Fastify's close() waits for connections, not for
 * handlers: an upload cut by the shutdown bound still removes what it stored (its object) after
 * its socket is gone, and the database must stay open until it has.
 */
import type { FastifyPluginAsync, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';

export interface ShutdownState {
  /** true from SIGTERM on: /readyz answers 503 while everything else is still served */
  readonly draining: boolean;
  startDraining(): void;
  /** route handlers running now */
  readonly inFlight: number;
  /** resolves once every handler running now has settled */
  settled(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    shutdown: ShutdownState;
  }
}

const shutdown: FastifyPluginAsync = async (app) => {
  let draining = false;
  const running = new Set<Promise<unknown>>();
  const state: ShutdownState = {
    get draining() { return draining; },
    startDraining() { draining = true; },
    get inFlight() { return running.size; },
    async settled() { await Promise.allSettled([...running]); },
  };
  app.decorate('shutdown', state);
  // Every route registered after this plugin: its handler's promise is followed to its end.
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (...args: Parameters<RouteHandlerMethod>) => unknown;
    route.handler = function tracked(this: ThisParameterType<RouteHandlerMethod>, request, reply) {
      const result = handler.call(this, request, reply);
      if (result instanceof Promise) {
        running.add(result);
        const forget = () => running.delete(result);
        result.then(forget, forget);
      }
      return result;
    } as RouteHandlerMethod;
  });
};

export default fp(shutdown, { name: 'lamha-shutdown' });
