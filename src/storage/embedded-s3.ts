/**
 * The embedded S3 server for trying Lamha out without one: s3rver on loopback, objects under
 * DATA_DIR. It checks no signatures and lacks a few calls (lifecycle, ListParts), which is why
 * the adapter drives multipart with calls every S3 server answers. The two it lacks that Lamha
 * needs, AbortMultipartUpload and ListMultipartUploads (the sweep's), are added here.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
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
  // ListMultipartUploads, all in one page: enough for the sweep of a trial installation's uploads
  server.middleware.unshift(async (ctx, next) => {
    const bucket = decodeURIComponent(ctx.path.split('/')[1] ?? '');
    if (ctx.method !== 'GET' || !('uploads' in ctx.query) || ctx.path.split('/').filter(Boolean).length !== 1) return next();
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return next();
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const after = typeof ctx.query['key-marker'] === 'string' ? ctx.query['key-marker'] : '';
    const root = path.join(directory, bucket, '._S3rver_uploads');
    const uploads: { key: string; id: string; initiated: Date }[] = [];
    for (const id of await readdir(root).catch(() => [] as string[])) {
      const file = path.join(root, id, 'key');
      const key = await readFile(file, 'utf8').catch(() => undefined);
      if (key === undefined || !key.startsWith(prefix) || key <= after) continue;
      uploads.push({ key, id, initiated: (await stat(file)).mtime });
    }
    uploads.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
    const x = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    ctx.type = 'application/xml';
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`
      + `<Bucket>${x(bucket)}</Bucket><KeyMarker>${x(after)}</KeyMarker><UploadIdMarker></UploadIdMarker><Prefix>${x(prefix)}</Prefix>`
      + `<MaxUploads>${uploads.length}</MaxUploads><IsTruncated>false</IsTruncated>`
      + uploads.map((u) => `<Upload><Key>${x(u.key)}</Key><UploadId>${u.id}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`).join('')
      + '</ListMultipartUploadsResult>';
  });
  const info = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://${host}:${info.port}`,
    close: () => server.close(),
  };
}
