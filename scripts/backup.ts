/**
 * `npm run backup -- <dir>`: a consistent backup of the installation the configuration names
 * (DATABASE_URL, S3_*; see src/backup/backup.ts for how it stays consistent while Lamha runs)
 * into a new directory: database.dump, objects/…, manifest.json.
 */
import { backup } from '../src/backup/backup.js';
import { dirArgument, fail, openInstallation } from './backup-cli.js';

const dir = dirArgument('backup');
const inst = await openInstallation();
try {
  const m = await backup(dir, {
    databaseUrl: inst.config.databaseUrl, schema: 'public', db: inst.db, storage: inst.storage,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(
    `backup in ${dir}: ${m.totals.assets} assets, ${m.totals.renditions} renditions, ${m.totals.objects} objects, ${m.totals.bytes} bytes` +
      `${m.unreferenced.length ? `; ${m.unreferenced.length} objects not referenced by the database listed, not copied` : ''}\n`,
  );
} catch (err) {
  await inst.close();
  fail('backup', err);
}
await inst.close();
