/**
 * ops/prometheus/lamha-alerts.yml: Prometheus accepts it, each alert fires as its unit tests
 * (lamha-alerts.test.yml) say, and every metric and label it reads is one Lamha's processes
 * export — a renamed metric or label fails here, not silently in an operator's Prometheus.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { createWorkerMetrics } from '../../src/metrics/registry.js';
import { createTestContext, seedEvent } from '../helpers/context.js';

const run = promisify(execFile);
const DIR = path.resolve('ops/prometheus');
const RULES = path.join(DIR, 'lamha-alerts.yml');
const METRICS_TOKEN = 'metrics-scraper-secret-0123456789abcdefghij';
/** labels Prometheus gives every series itself (the target's), and the histogram's bucket bound */
const OWN_LABELS = new Set(['job', 'instance', 'le']);

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: DIR });
    return stdout + stderr;
  } catch (err) {
    const e = err as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed: bash scripts/system-deps.sh --test installs it');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Metric name → the label names its series carry, from Prometheus' text format. */
function exported(text: string): Map<string, Set<string>> {
  const metrics = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      metrics.set(type[1]!, metrics.get(type[1]!) ?? new Set());
      continue;
    }
    const series = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (!series) continue;
    const family = [...metrics.keys()].find((m) => series[1] === m || ['_bucket', '_sum', '_count'].some((s) => series[1] === m + s)) ?? series[1]!;
    const labels = metrics.get(family) ?? new Set<string>();
    for (const m of (series[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) labels.add(m[1]!);
    metrics.set(family, labels);
  }
  return metrics;
}

/** The metrics each rule reads, with the labels it selects or groups by. */
function readBy(expr: string): { metric: string; labels: string[] }[] {
  const grouped = [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()).filter(Boolean));
  const found: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b((?:lamha|http|nodejs|process)_\w+)\s*(?:\{([^}]*)\})?/g)) {
    const selected = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!);
    found.push({ metric: m[1]!.replace(/_(bucket|sum|count)$/, ''), labels: [...new Set([...selected, ...grouped])] });
  }
  return found;
}

t.test('the alert rules load in Prometheus, and each fires when its unit tests say', async (t) => {
  t.match(await promtool('check', 'rules', RULES), /SUCCESS: \d+ rules found/);
  t.match(await promtool('test', 'rules', 'lamha-alerts.test.yml'), /SUCCESS/);
});

t.test('every metric and label the rules read is exported by the API or the worker', async (t) => {
  const ctx = await createTestContext(t, { env: { METRICS_TOKEN } });
  await seedEvent(ctx);
  // series with labels exist once something was counted: a page, a request that fails
  await ctx.app.inject({ url: '/api/v1/events/conf' });
  await ctx.app.inject({ url: '/api/v1/assets/00000000-0000-4000-8000-000000000000' });
  const api = await ctx.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  t.equal(api.statusCode, 200);
  const metrics = exported(api.body);
  for (const [name, labels] of exported(await createWorkerMetrics().registry.metrics())) {
    metrics.set(name, new Set([...(metrics.get(name) ?? []), ...labels]));
  }

  const rules = await readFile(RULES, 'utf8');
  const exprs = [...rules.matchAll(/^\s+expr: (?:\|\n((?:\s{10,}.*\n)+)|(.*)\n)/gm)].map((m) => (m[1] ?? m[2])!);
  t.equal(exprs.length, (rules.match(/^\s+- alert: /gm) ?? []).length, 'an expression read for every alert');
  const read = exprs.flatMap(readBy);
  t.ok(read.length >= 10, `${read.length} metric selections read`);
  for (const { metric, labels } of read) {
    const has = metrics.get(metric);
    t.ok(has, `${metric} is exported`);
    if (!has) continue;
    const missing = labels.filter((l) => !OWN_LABELS.has(l) && !has.has(l));
    t.same(missing, [], `${metric} carries ${labels.join(', ') || 'no label'} (it has ${[...has].join(', ') || 'none'})`);
  }
});
