#!/usr/bin/env node
// Reads tap's per-file results (.tap/test-results/**/*.tap) and prints one closing line,
// "N passed, N failed, N skipped[, N todo]", counting each behaviour (a test with no subtests of
// its own) once, after the list of what failed, was skipped or is still to do.
//
// The line never reads better than tap's own verdict:
// - a file with no test points (it crashed while loading, or declares no test) is a failure;
// - a file that failed outside its tests (a crash between tests, a missing plan) is a failure;
// - `--tap-failed=<file>` is tap's `--save` file, the test files tap itself judged failed: one
//   whose results read clean (its process exited non-zero or was killed after its last test)
//   is a failure too;
// - `--tap-status=<n>` is tap's exit status: non-zero with no failure found is a failure.
// Exits 1 when anything failed or no result was found, else 0.
//
// Usage: node scripts/tap-summary.mjs [results-dir] [--tap-status=<n>] [--tap-failed=<file>]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Parser } from 'tap-parser';

let root = '.tap/test-results';
let tapStatus = 0;
let tapFailedFile;
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith('--tap-status=')) tapStatus = Number(arg.slice('--tap-status='.length));
  else if (arg.startsWith('--tap-failed=')) tapFailedFile = arg.slice('--tap-failed='.length);
  else if (!arg.startsWith('--')) root = arg;
  else {
    console.error(`tap-summary: unknown option ${arg}`);
    process.exit(2);
  }
}

let passed = 0;
const failures = [];
const skips = [];
const todos = [];

function resultFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? resultFiles(p) : p.endsWith('.tap') ? [p] : [];
  });
}

/**
 * The tree of one TAP stream: each test with its subtests, its own assertions, and the test
 * point its parent closed it with (none for a file, or for a test cut off mid-way).
 */
function tree(parser, name) {
  const node = { name, subtests: [], checks: [], point: undefined, results: undefined };
  let open;
  parser.on('child', (child) => {
    open = tree(child, child.name);
    node.subtests.push(open);
  });
  // In TAP 14 a subtest's block is followed by the parent's test point that closes it.
  parser.on('assert', (res) => {
    if (open) {
      open.point = res;
      open = undefined;
    } else node.checks.push(res);
  });
  parser.on('complete', (results) => {
    node.results = results;
  });
  return node;
}

const reason = (directive) => (typeof directive === 'string' && directive ? ` (${directive})` : '');

/** Why a stream that reports no failed test point still is not ok, in tap-parser's words. */
function streamProblem(results) {
  const said = [...new Set((results?.failures ?? []).map((f) => f.tapError).filter(Boolean))];
  if (said.length === 0 || said.includes('no plan')) return 'its output stops early: it crashed or was killed mid-run';
  return said.join('; ');
}

/** Counts the behaviours under `node`; answers how many failures it recorded. */
function count(node, label) {
  const point = node.point;
  if (point?.skip) {
    skips.push(`${label}${reason(point.skip)}`);
    return 0;
  }
  if (point?.todo) {
    todos.push(`${label}${reason(point.todo)}`);
    return 0;
  }
  const before = failures.length;
  let ownSkips = 0;
  let ownFailures = 0;
  for (const check of node.checks) {
    if (check.skip) {
      skips.push(`${label} > ${check.name}${reason(check.skip)}`);
      ownSkips++;
    } else if (check.todo) todos.push(`${label} > ${check.name}${reason(check.todo)}`);
    else if (!check.ok) ownFailures++;
  }
  for (const sub of node.subtests) count(sub, `${label} > ${sub.name}`);
  const ok = point ? point.ok : (node.results?.ok ?? false);

  if (node.subtests.length === 0) {
    // a behaviour: all its checks skipped makes it a skipped one, already listed
    if (ok && ownSkips > 0 && ownSkips === node.checks.length) return 0;
    if (ok) passed++;
    else failures.push(label);
    return failures.length - before;
  }
  if (ownFailures > 0) {
    for (const check of node.checks) {
      if (!check.ok && !check.skip && !check.todo) failures.push(`${label} > ${check.name} (failed outside its tests)`);
    }
  } else if (!ok && failures.length === before) {
    failures.push(`${label} (failed outside its tests: ${streamProblem(node.results)})`);
  }
  return failures.length - before;
}

function countFile(file, name) {
  const parser = new Parser();
  const node = tree(parser, name);
  let plan;
  parser.on('plan', (p) => {
    plan = p;
  });
  parser.end(readFileSync(file));
  const results = node.results;
  // `t.plan(0, reason)` skips a whole file on purpose, and says why; tap-parser also calls an
  // empty stream "skip all", with its own reason, which is not a skip but a file that said nothing
  const skipReason = plan && plan.end === 0 ? plan.comment.replace(/^#?\s*(SKIP\b:?)?\s*/i, '').trim() : '';
  if (skipReason && skipReason !== 'no tests found') {
    skips.push(`${name} (${skipReason})`);
    return 0;
  }
  if (!results || results.count === 0) {
    failures.push(`${name} (no TAP output: it crashed while loading or has no tests; see tap's report above)`);
    return 1;
  }
  return count(node, name);
}

let found = [];
if (existsSync(root)) found = resultFiles(root).sort();
const failedByFile = new Map();
for (const file of found) {
  const name = path.relative(root, file).replace(/\.tap$/, '');
  failedByFile.set(name, countFile(file, name));
}
if (found.length === 0) failures.push(`no test results under ${root}`);

if (tapFailedFile && existsSync(tapFailedFile)) {
  const judged = readFileSync(tapFailedFile, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
  for (const name of judged) {
    if ((failedByFile.get(name) ?? 0) === 0) {
      failures.push(`${name} (tap failed this file although its results pass: its process exited non-zero or was killed after its tests; see tap's report above)`);
    }
  }
}
if (tapStatus !== 0 && failures.length === 0) failures.push(`tap exited with status ${tapStatus} (see tap's report above)`);

const list = (title, items) => {
  if (items.length === 0) return;
  console.log(`\n${title}:`);
  for (const item of items) console.log(`  - ${item}`);
};
list('Skipped', skips);
list('Todo', todos);
list('Failed', failures);
console.log(`${passed} passed, ${failures.length} failed, ${skips.length} skipped${todos.length ? `, ${todos.length} todo` : ''}`);
process.exit(failures.length > 0 ? 1 : 0);
