declare module 's3rver' {
  interface S3rverOptions {
    port?: number;
    address?: string;
    directory: string;
    silent?: boolean;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: unknown[] }[];
  }
  /** The part of a Koa context the embedded server's own middleware uses. */
  interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | string[] | undefined>;
    status: number;
    type: string;
    body: unknown;
  }
  /** S3rver is a Koa application: its middleware list is composed when it starts listening. */
  export default class S3rver {
    constructor(options: S3rverOptions);
    middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
    run(): Promise<{ address: string; port: number; family: string }>;
    close(): Promise<void>;
  }
}
