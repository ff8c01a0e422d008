import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const script = fileURLToPath(new URL('../../scripts/tap-summary.mjs', import.meta.url));

// Result files as tap 21 writes them to .tap/test-results, one per test file.
const PASS = `TAP version 14
# Subtest: answers 200
    ok 1 - should be equal
    1..1
ok 1 - answers 200 # time=2ms

1..1
`;
const SKIP_AND_PASS = `TAP version 14
ok 1 - plays the video # SKIP no ffmpeg with libx265
# Subtest: answers 200
    ok 1 - should be equal
    1..1
ok 2 - answers 200 # time=2ms

1..2
`;
const TODO_AND_PASS = `TAP version 14
ok 1 - crops a panorama # TODO not yet written
# Subtest: answers 200
    ok 1 - should be equal
    1..1
ok 2 - answers 200 # time=2ms

1..2
`;
const NESTED_ONE_FAILS = `TAP version 14
# Subtest: uploads
    # Subtest: stores the bytes
        ok 1 - should be equal
        1..1
    ok 1 - stores the bytes # time=2ms

    # Subtest: refuses an SVG
        not ok 1 - should be equal
          ---
          compare: ===
          ...
        1..1
    not ok 2 - refuses an SVG # time=2ms

    1..2
not ok 1 - uploads # time=5ms

1..1
`;
// the process died in its second test: no closing test point, no plan
const CUT_OFF = `TAP version 14
# Subtest: answers 200
    ok 1 - should be equal
    1..1
ok 1 - answers 200 # time=2ms

`;
// a test that found out it cannot run (t.plan(0, reason)), and a skipped check in a passing test
const SKIPPED_INSIDE = `TAP version 14
# Subtest: transcodes HEVC
    1..0 # no ffmpeg with libx265
ok 1 - transcodes HEVC # SKIP no ffmpeg with libx265

# Subtest: reads the dimensions
    ok 1 - should be equal
    ok 2 - of the HEIC fixture # SKIP no heif-info
    1..2
ok 2 - reads the dimensions # time=1ms

1..2
`;
const WHOLE_FILE_SKIPPED = `TAP version 14
1..0 # no Chromium on this machine
`;

function summarize(files: Record<string, string>, args: string[] = []): { line: string; out: string; status: number | null } {
  const dir = t.testdir();
  const results = path.join(dir, 'results');
  mkdirSync(results);
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(results, name)), { recursive: true });
    writeFileSync(path.join(results, name), body);
  }
  const run = spawnSync(process.execPath, [script, results, ...args.map((a) => a.replace('$DIR', dir))], { encoding: 'utf8' });
  const lines = run.stdout.trimEnd().split('\n');
  return { line: lines.at(-1)!, out: run.stdout, status: run.status };
}

t.test('passing files: every behaviour counted once, exit 0', async (t) => {
  const r = summarize({ 'test/a.test.ts.tap': PASS, 'test/b.test.ts.tap': PASS });
  t.equal(r.line, '2 passed, 0 failed, 0 skipped');
  t.equal(r.status, 0);
});

t.test('a file with no test points (it crashed while loading) is a failure, not a pass', async (t) => {
  const r = summarize({ 'test/a.test.ts.tap': PASS, 'test/crashed.test.ts.tap': '' });
  t.equal(r.line, '1 passed, 1 failed, 0 skipped');
  t.match(r.out, /Failed:\n {2}- test\/crashed\.test\.ts \(no TAP output/);
  t.equal(r.status, 1);
});

t.test('skipped tests are counted and listed with their reason', async (t) => {
  const r = summarize({ 'test/video.test.ts.tap': SKIP_AND_PASS, 'test/browser.test.ts.tap': WHOLE_FILE_SKIPPED });
  t.equal(r.line, '1 passed, 0 failed, 2 skipped');
  t.match(r.out, '  - test/video.test.ts > plays the video (no ffmpeg with libx265)');
  t.match(r.out, '  - test/browser.test.ts (no Chromium on this machine)');
  t.equal(r.status, 0);
});

t.test('a test that skips itself, and a skipped check inside a test, are listed too', async (t) => {
  const r = summarize({ 'test/media.test.ts.tap': SKIPPED_INSIDE });
  t.equal(r.line, '1 passed, 0 failed, 2 skipped');
  t.match(r.out, '  - test/media.test.ts > transcodes HEVC (no ffmpeg with libx265)\n');
  t.match(r.out, '  - test/media.test.ts > reads the dimensions > of the HEIC fixture (no heif-info)\n');
  t.equal(r.status, 0);
});

t.test('todo tests are counted apart and do not fail the run', async (t) => {
  const r = summarize({ 'test/a.test.ts.tap': TODO_AND_PASS });
  t.equal(r.line, '1 passed, 0 failed, 0 skipped, 1 todo');
  t.match(r.out, 'Todo:\n  - test/a.test.ts > crops a panorama (not yet written)');
  t.equal(r.status, 0);
});

t.test('a failed behaviour is listed by its path; its parent is not counted again', async (t) => {
  const r = summarize({ 'test/uploads.test.ts.tap': NESTED_ONE_FAILS });
  t.equal(r.line, '1 passed, 1 failed, 0 skipped');
  t.match(r.out, 'Failed:\n  - test/uploads.test.ts > uploads > refuses an SVG\n');
  t.equal(r.status, 1);
});

t.test('a file cut off mid-run fails even though every test point in it passed', async (t) => {
  const r = summarize({ 'test/killed.test.ts.tap': CUT_OFF });
  t.equal(r.line, '1 passed, 1 failed, 0 skipped');
  t.match(r.out, 'test/killed.test.ts (failed outside its tests: its output stops early');
  t.equal(r.status, 1);
});

t.test('a file tap judged failed (its process exit) fails even when its results read clean', async (t) => {
  const dir = t.testdir({ failed: 'test/exits.test.ts\n' });
  const r = summarize({ 'test/exits.test.ts.tap': PASS }, [`--tap-failed=${path.join(dir, 'failed')}`, '--tap-status=1']);
  t.equal(r.line, '1 passed, 1 failed, 0 skipped');
  t.match(r.out, 'test/exits.test.ts (tap failed this file although its results pass');
  t.equal(r.status, 1);
});

t.test("tap's non-zero exit with nothing else failed still reads as a failure and says so", async (t) => {
  const r = summarize({ 'test/a.test.ts.tap': PASS }, ['--tap-status=3']);
  t.equal(r.line, '1 passed, 1 failed, 0 skipped');
  t.match(r.out, 'tap exited with status 3');
  t.equal(r.status, 1);
});

t.test('no result files at all is a failure', async (t) => {
  const r = summarize({});
  t.equal(r.line, '0 passed, 1 failed, 0 skipped');
  t.match(r.out, 'no test results under');
  t.equal(r.status, 1);
});
