/**
 * The embedded S3 server for trying Lamha out without one: s3rver on loopback, objects under
 * DATA_DIR. It checks no signatures and lacks a few calls (ListMultipartUploads, lifecycle),
 * which is why the adapter drives multipart with calls every S3 server answers. The one it
 * lacks that the adapter needs, AbortMultipartUpload, is added here.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';

/** What the start log says whenever the embedded server runs. */
export const EMBEDDED_S3_WARNING =
  'the embedded S3 server checks no signatures: it is for trying Lamha out, not for real photos; set S3_ENDPOINT to a real S3 server (MinIO, Ceph RGW, Garage, AWS S3, R2)';

export interface EmbeddedS3 {
  endpoint: string;
  close(): Promise<void>;
}

export async function startEmbeddedS3({ dataDir, port, host = '127.0.0.1' }: { dataDir: string; port: number; host?: string }): Promise<EmbeddedS3> {
  const directory = path.join(dataDir, 's3');
  await mkdir(directory, { recursive: true });
  // Loaded only here: s3rver brings koa, winston and lodash, ≈10 MB an API on a real S3 never needs.
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({ port, address: host, directory, silent: true });
  // Without it, the parts of every upload a client gave up on would stay under DATA_DIR for good.
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || typeof uploadId !== 'string') return next();
    const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
    // s3rver's upload ids are 16 random bytes in hex, kept in <bucket>/._S3rver_uploads/<id>
    if (!/^[0-9a-f]{32}$/.test(uploadId) || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return next();
    await rm(path.join(directory, bucket, '._S3rver_uploads', uploadId), { recursive: true, force: true });
    ctx.status = 204;
  });
  const info = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://${host}:${info.port}`,
    close: () => server.close(),
  };
}
