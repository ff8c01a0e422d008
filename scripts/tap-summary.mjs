#!/usr/bin/env node
// Reads tap's per-file results (.tap/test-results/**/*.tap) and prints one line,
// "N passed, N failed[, N skipped]", counting each behaviour (a test with no subtests of its
// own) once. A file that crashed outside its tests counts as one more failure.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Parser } from 'tap-parser';

const root = process.argv[2] ?? '.tap/test-results';
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.tap') ? [p] : [];
  });
}

/** Counts the leaves under `parser`; answers how many failed leaves it saw. */
function track(parser, name) {
  const node = { children: 0, failedLeaves: 0 };
  parser.on('child', (child) => {
    node.children++;
    const childNode = track(child, `${name} > ${child.name}`);
    child.on('complete', () => {
      node.failedLeaves += childNode.failedLeaves;
    });
  });
  parser.on('complete', (results) => {
    if (node.children === 0) {
      if (results.skip > 0 && results.pass === 0 && results.fail === 0) skipped++;
      else if (results.ok) passed++;
      else {
        failed++;
        node.failedLeaves++;
        failures.push(name);
      }
    } else if (!results.ok && node.failedLeaves === 0) {
      // failed outside any of its tests (a crash, a timeout, an assertion between tests)
      failed++;
      node.failedLeaves++;
      failures.push(`${name} (outside its tests)`);
    }
  });
  return node;
}

let found;
try {
  found = files(root);
} catch {
  found = [];
}
for (const file of found) {
  const name = path.relative(root, file).replace(/\.tap$/, '');
  const parser = new Parser();
  track(parser, name);
  parser.end(readFileSync(file));
}
if (failures.length > 0) {
  console.log('\nFailed:');
  for (const f of failures) console.log(`  - ${f}`);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || found.length === 0 ? 1 : 0);
