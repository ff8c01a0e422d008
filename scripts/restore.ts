/**
 * `npm run restore -- <dir>`: restores a backup into the EMPTY installation the configuration
 * names (a new database, a new bucket), before Lamha's first start there. Exit status 1 when
 * any object's bytes differ from the manifest, naming each.
 */
import { restore } from '../src/backup/restore.js';
import { dirArgument, fail, openInstallation } from './backup-cli.js';

const dir = dirArgument('restore');
const inst = await openInstallation();
let mismatched: string[] = [];
try {
  const s = await restore(dir, {
    databaseUrl: inst.config.databaseUrl, schema: 'public', db: inst.db, storage: inst.storage,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  mismatched = s.mismatched;
  process.stdout.write(`restored: ${s.assets} assets, ${s.renditions} renditions, ${s.objects} objects, ${s.bytes} bytes\n`);
  for (const key of mismatched) process.stderr.write(`lamha restore: ${key}: its bytes differ from the backup's manifest (SHA-256); not restored\n`);
} catch (err) {
  await inst.close();
  fail('restore', err);
}
await inst.close();
if (mismatched.length > 0) process.exit(1);
