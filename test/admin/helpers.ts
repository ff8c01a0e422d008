/** Signing in to the console through app.inject, as a browser would: cookie jar, CSRF field, form posts. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { parse } from 'node-html-parser';

export interface Browser {
  /** the cookies the server has set, as a Cookie header */
  cookie(): string;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** posts a form, urlencoded; repeated fields as arrays */
  post(url: string, form: Record<string, string | string[]>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** the `_csrf` value of the first form on the page at `url` */
  csrf(url: string): Promise<string>;
  /** signs in with `token` from the sign-in page in `locale`; returns the answer to the form */
  signIn(token: string, locale?: string): Promise<LightMyRequestResponse>;
}

/** `always`: headers every request carries (e.g. a proxy's X-Forwarded-Proto). */
export function browser(app: FastifyInstance, always: Record<string, string> = {}): Browser {
  const jar = new Map<string, string>();
  const keep = (res: LightMyRequestResponse) => {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.value === '' || (c.maxAge !== undefined && c.maxAge <= 0) || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      if (gone) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return res;
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const b: Browser = {
    cookie,
    async get(url, headers = {}) {
      return keep(await app.inject({ method: 'GET', url, headers: { accept: 'text/html', cookie: cookie(), ...always, ...headers } }));
    },
    async post(url, form, headers = {}) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
      return keep(await app.inject({
        method: 'POST', url, payload: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: cookie(), ...always, ...headers },
      }));
    },
    async csrf(url) {
      const res = await b.get(url);
      const value = parse(res.body).querySelector('input[name=_csrf]')?.getAttribute('value');
      if (!value) throw new Error(`no CSRF field on ${url} (${res.statusCode})`);
      return value;
    },
    async signIn(token, locale = 'en') {
      const _csrf = await b.csrf(`/${locale}/admin/login`);
      return b.post('/admin/login', { _csrf, lang: locale, token });
    },
  };
  return b;
}
