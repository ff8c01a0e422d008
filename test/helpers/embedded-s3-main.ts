/**
 * The embedded S3 server alone in a process of its own, for tests that stop it (SIGKILL) and
 * start it again on the same port and data dir: LAMHA_S3_DIR, LAMHA_S3_PORT.
 */
import { startEmbeddedS3 } from '../../src/storage/embedded-s3.js';

const server = await startEmbeddedS3({ dataDir: process.env.LAMHA_S3_DIR!, port: Number(process.env.LAMHA_S3_PORT) });
process.stdout.write(`listening ${server.endpoint}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
