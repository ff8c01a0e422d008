/**
 * The embedded S3 server for trying Lamha out without one: s3rver on loopback, objects under
 * DATA_DIR. It checks no signatures and lacks a few calls (ListMultipartUploads, lifecycle),
 * which is why the adapter drives multipart with calls every S3 server answers.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import S3rver from 's3rver';

export interface EmbeddedS3 {
  endpoint: string;
  close(): Promise<void>;
}

export async function startEmbeddedS3({ dataDir, port, host = '127.0.0.1' }: { dataDir: string; port: number; host?: string }): Promise<EmbeddedS3> {
  const directory = path.join(dataDir, 's3');
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ port, address: host, directory, silent: true });
  const info = (await server.run()) as { address: string; port: number };
  return {
    endpoint: `http://${host}:${info.port}`,
    close: () => server.close(),
  };
}
