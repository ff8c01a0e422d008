/**
 * bench/load's visitors, in a process of their own so that the uploads the benchmark sends do
 * not delay their clocks: LOAD_GALLERY_CLIENTS loops, each fetching the next of the gallery's
 * URLs (event page, album page, album JSON, event JSON, renditions under /media) one after the
 * other on keep-alive connections (node:http), with a browser's Accept-Encoding. Each loop starts
 * a request every LOAD_GALLERY_INTERVAL_MS (or as soon as the last one ends, when it took
 * longer): the same offered load in every phase, so latencies compare across phases, and the
 * visitors do not take the cores the worker needs (as fast as answers come, 20 loops kept the
 * API at half a core).
 *
 * Environment: LOAD_GALLERY_URL (the API's base URL), LOAD_GALLERY_PATHS (JSON: [{kind, path}]),
 * LOAD_GALLERY_CLIENTS (default 20), LOAD_GALLERY_INTERVAL_MS (default 200).
 * Stdin lines: `phase <name>` — the requests started from now on count in phase <name>;
 * `stop` — the loops stop after their current request, and one JSON line {summary} is printed
 * (per phase: requests, statuses, seconds, and p50/p95/p99 in ms, overall and per kind).
 * Prints {"started": true} once the loops run.
 */
import http from 'node:http';
import readline from 'node:readline';

interface Target {
  kind: string;
  path: string;
}

export interface PhaseStats {
  requests: number;
  seconds: number;
  perSecond: number;
  statuses: Record<string, number>;
  /** transport errors (no HTTP answer) */
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  byKind: Record<string, { requests: number; p50: number; p95: number; p99: number }>;
}

const base = process.env.LOAD_GALLERY_URL!;
const targets = JSON.parse(process.env.LOAD_GALLERY_PATHS ?? '[]') as Target[];
const clients = Number(process.env.LOAD_GALLERY_CLIENTS ?? 20);
const interval = Number(process.env.LOAD_GALLERY_INTERVAL_MS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });

interface Phase {
  name: string;
  from: number;
  to?: number;
  ms: number[];
  byKind: Map<string, number[]>;
  statuses: Map<string, number>;
  errors: number;
  errorSamples: string[];
  /** requests over a second: when they started (s into the phase), their kind and ms */
  slow: { at: number; kind: string; ms: number }[];
}
const phases: Phase[] = [];
let current: Phase = newPhase('warm-up');
function newPhase(name: string): Phase {
  const p: Phase = { name, from: performance.now(), ms: [], byKind: new Map(), statuses: new Map(), errors: 0, errorSamples: [], slow: [] };
  phases.push(p);
  return p;
}

let stopping = false;
let next = 0;

function get(url: string, accept: string): Promise<{ statusCode: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { 'accept-encoding': 'br, gzip', accept } }, (res) => {
      res.on('data', () => {});
      res.on('error', reject);
      res.on('end', () => resolve({ statusCode: res.statusCode! }));
    });
    req.on('error', reject);
  });
}

async function loop(start: number): Promise<void> {
  await sleep(start);
  while (!stopping) {
    const target = targets[next++ % targets.length]!;
    const phase = current;
    const t0 = performance.now();
    try {
      // bodies are read whole but not decompressed: the server's time is measured, not the client's
      const res = await get(`${base}${target.path}`, target.kind.endsWith('page') ? 'text/html' : '*/*');
      const ms = performance.now() - t0;
      const status = String(res.statusCode);
      phase.statuses.set(status, (phase.statuses.get(status) ?? 0) + 1);
      phase.ms.push(ms);
      if (ms > 1000 && phase.slow.length < 200) phase.slow.push({ at: Math.round(t0 - phase.from) / 1000, kind: target.kind, ms: Math.round(ms) });
      let list = phase.byKind.get(target.kind);
      if (!list) phase.byKind.set(target.kind, (list = []));
      list.push(ms);
      if (res.statusCode >= 500 && phase.errorSamples.length < 5) phase.errorSamples.push(`${res.statusCode} ${target.path}`);
    } catch (err) {
      phase.errors++;
      if (phase.errorSamples.length < 5) phase.errorSamples.push(`${target.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    // a visitor looks at what came before asking for more: the same offered load in every phase
    await sleep(interval - (performance.now() - t0));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(p: Phase): PhaseStats & { name: string; errorSamples: string[]; slow: Phase['slow'] } {
  const sorted = [...p.ms].sort((a, b) => a - b);
  const seconds = ((p.to ?? performance.now()) - p.from) / 1000;
  const byKind: PhaseStats['byKind'] = {};
  for (const [kind, list] of p.byKind) {
    const s = [...list].sort((a, b) => a - b);
    byKind[kind] = { requests: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99) };
  }
  return {
    name: p.name, requests: sorted.length, seconds, perSecond: sorted.length / seconds, statuses: Object.fromEntries(p.statuses), errors: p.errors,
    p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, byKind, errorSamples: p.errorSamples, slow: p.slow,
  };
}

const loops = Array.from({ length: clients }, (_, i) => loop((i * interval) / clients));
process.stdout.write(`${JSON.stringify({ started: true })}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'phase' && arg) {
    current.to = performance.now();
    current = newPhase(arg);
  } else if (cmd === 'stop') {
    current.to = performance.now();
    stopping = true;
    void Promise.all(loops).then(async () => {
      process.stdout.write(`${JSON.stringify({ summary: phases.map(stats) })}\n`);
      agent.destroy();
      process.exit(0);
    });
  }
});
process.stdin.on('end', () => process.exit(0));
