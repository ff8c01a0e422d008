/** bench/load's figures: the table it prints and the checks that fail the run. */
import type { PhaseStats } from './load-gallery.js';

const MB = 1e6;

export interface UploadResult {
  name: string;
  kind: 'large' | 'small';
  bytes: number;
  /** HTTP status; 0 when no answer came (connection reset, …) */
  status: number;
  seconds: number;
  /** seconds from the storm's start */
  startedAt: number;
  endedAt: number;
  id?: string | undefined;
  duplicate?: boolean | undefined;
  body?: string;
}

export interface LoadReport {
  started: string;
  host: { cpus: number; node: string; loadAtStart: number[]; loadAtEnd: number[] };
  config: Record<string, unknown> & { rssMarginMB: number };
  inputs: { large: { count: number; videos: number; videoBytes: number; tiffBytes: number }; small: { count: number; bytes: number }; seconds: number };
  uploads: UploadResult[];
  uploadsSeconds: number;
  readyAt: { videos: number | undefined; images: number | undefined };
  allReadySeconds: number;
  timedOut: boolean;
  gallery: (PhaseStats & { name: string; errorSamples: string[]; slow: { at: number; kind: string; ms: number }[] })[];
  /** the API's event loop delay per phase (bench/upload-server.ts) */
  eventLoop: Record<string, { maxMs: number; p99Ms: number }>;
  /** the API's peak V8 heap in use and peak Buffer memory (the upload parts) per phase, bytes */
  apiMemory: Record<string, { heapUsed: number; arrayBuffers: number }>;
  /** peak bytes per phase */
  rss: Record<string, { api: number; worker: number; workerTree: number; load1: number }>;
  rssSamples: number;
  rssSeries: unknown[];
  jobCounts: Record<string, Record<string, number>>;
  jobSeconds: Record<string, { jobs: number; seconds: number[] }>;
  /** PostgreSQL sessions of the database per phase (pg_stat_activity each second): most waiting on a lock, most not idle */
  sessions: Record<string, { lockWaitMax: number; activeMax: number }>;
  assets: { rows: number; byStatus: Record<string, number>; failed: { id: string; error: string | null }[] };
  expected: { inputs: { name: string; sha256: string }[] };
}

export function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const f = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** Prints the tables on stdout; answers the checks that failed (none: the run passed). */
export function printReport(r: LoadReport, assets: { sha256: string; status: string }[]): string[] {
  const failures: string[] = [];
  const out: string[] = [];
  const large = r.uploads.filter((u) => u.kind === 'large');
  const small = r.uploads.filter((u) => u.kind === 'small');
  const lastEnd = (list: UploadResult[]) => Math.max(0, ...list.map((u) => u.endedAt));
  const bytes = (list: UploadResult[]) => list.filter((u) => u.status === 201).reduce((s, u) => s + u.bytes, 0);

  out.push(`\nload: ${large.length} large files (${r.inputs.large.videos} videos of ${f(r.inputs.large.videoBytes / MB)} MB, ${large.length - r.inputs.large.videos} TIFFs of ${f(r.inputs.large.tiffBytes / MB)} MB) and ${small.length} photos (${f(r.inputs.small.bytes / MB)} MB in all) at once; ` +
    `${r.config.clients} visitors; S3 ${r.config.s3}; ${r.host.cpus} cores, node ${r.host.node}; load average ${r.host.loadAtStart.map((n) => n.toFixed(2)).join(' ')} at start, ${r.host.loadAtEnd.map((n) => n.toFixed(2)).join(' ')} at end\n`);
  out.push(row(['figure', 'value']), row(['---', '---']));
  out.push(row(['upload statuses', JSON.stringify(countBy(r.uploads.map((u) => String(u.status))))]));
  out.push(row(['all uploads answered after', `${f(r.uploadsSeconds)} s`]));
  out.push(row(['throughput, all accepted bytes', `${f(bytes(r.uploads) / MB / r.uploadsSeconds)} MB/s`]));
  out.push(row(['large files: accepted / last answer', `${f(bytes(large) / MB / lastEnd(large))} MB/s, last after ${f(lastEnd(large))} s`]));
  out.push(row(['photos: accepted / last answer', `${f(small.filter((u) => u.status === 201).length / lastEnd(small))} photos/s, last after ${f(lastEnd(small))} s`]));
  out.push(row(['upload time p50 / p99: large files', `${f(percentile(large.map((u) => u.seconds), 50))} / ${f(percentile(large.map((u) => u.seconds), 99))} s`]));
  out.push(row(['upload time p50 / p99: photos', `${f(percentile(small.map((u) => u.seconds), 50))} / ${f(percentile(small.map((u) => u.seconds), 99))} s`]));
  out.push(row(['all photos and TIFFs ready (from the storm\'s start)', `${f(r.readyAt.images)} s`]));
  out.push(row(['all videos ready (first playable)', `${f(r.readyAt.videos)} s`]));
  out.push(row(['every asset ready', r.timedOut ? `NOT within ${f(r.allReadySeconds, 0)} s` : `${f(r.allReadySeconds)} s`]));
  out.push(row(['asset rows by status', JSON.stringify(r.assets.byStatus)]));

  const baseline = r.gallery.find((g) => g.name === 'baseline');
  out.push('\nvisitors (ms; ratio: p99 ÷ the baseline\'s p99, same run)\n');
  out.push(row(['phase', 'requests', 'req/s', 'p50', 'p95', 'p99', 'max', 'p99 ratio', 'statuses', 'API event loop delay p99 / max']), row(['---', '---', '---', '---', '---', '---', '---', '---', '---', '---']));
  for (const g of r.gallery) {
    const loop = r.eventLoop[g.name];
    out.push(row([g.name, g.requests, f(g.perSecond, 0), f(g.p50), f(g.p95), f(g.p99), f(g.max, 0), baseline ? f(g.p99 / baseline.p99, 2) : '-',
      JSON.stringify(g.statuses) + (g.errors ? ` + ${g.errors} errors` : ''), loop ? `${f(loop.p99Ms)} / ${f(loop.maxMs)}` : '-']));
  }
  const stormPhase = r.gallery.find((g) => g.name === 'storm');
  if (stormPhase && baseline) {
    out.push('\nper kind, baseline → storm (p50 / p99 ms)\n');
    out.push(row(['kind', 'baseline', 'storm']), row(['---', '---', '---']));
    for (const [kind, b] of Object.entries(baseline.byKind)) {
      const s = stormPhase.byKind[kind];
      out.push(row([kind, `${f(b.p50)} / ${f(b.p99)}`, s ? `${f(s.p50)} / ${f(s.p99)}` : '-']));
    }
  }

  out.push(`\ndatabase sessions (max each second) waiting for the event's version lock / not idle (the whole database): ${Object.entries(r.sessions).map(([p, x]) => `${p} ${x.lockWaitMax} / ${x.activeMax}`).join('; ')}`);
  out.push('\npeak RSS per phase (MB; /proc VmRSS every 100 ms), highest 1-minute load average\n');
  out.push(row(['phase', 'API', 'API: JS heap used / Buffers (peaks)', 'worker', 'worker + its ffmpeg/exiftool', 'load1']), row(['---', '---', '---', '---', '---', '---']));
  for (const [phase, p] of Object.entries(r.rss)) {
    const m = r.apiMemory?.[phase];
    out.push(row([phase, f(p.api / MB), m ? `${f(m.heapUsed / MB)} / ${f(m.arrayBuffers / MB)}` : '', f(p.worker / MB), f(p.workerTree / MB), f(p.load1, 2)]));
  }
  out.push('\nworker jobs (run time of each, s)\n');
  out.push(row(['job', 'jobs', 'p50', 'max', 'sum']), row(['---', '---', '---', '---', '---']));
  for (const [name, d] of Object.entries(r.jobSeconds)) {
    out.push(row([name, d.jobs, f(percentile(d.seconds, 50)), f(Math.max(...d.seconds)), f(d.seconds.reduce((a, b) => a + b, 0), 0)]));
  }
  out.push('\njobs per queue at the end: ' + Object.entries(r.jobCounts).map(([q, c]) => `${q} ${JSON.stringify(c)}`).join('; '));

  // the checks
  const fivexx = r.uploads.filter((u) => u.status >= 500).length + r.gallery.reduce((s, g) => s + Object.entries(g.statuses).filter(([k]) => Number(k) >= 500).reduce((t, [, n]) => t + n, 0), 0);
  if (fivexx > 0) failures.push(`${fivexx} answers were 5xx`);
  const noAnswer = r.uploads.filter((u) => u.status === 0).length + r.gallery.reduce((s, g) => s + g.errors, 0);
  if (noAnswer > 0) failures.push(`${noAnswer} requests had no answer (connection errors)`);
  const not201 = r.uploads.filter((u) => u.status !== 201 || u.duplicate !== false);
  if (not201.length > 0) failures.push(`${not201.length} uploads not answered 201 as a new asset, e.g. ${not201.slice(0, 3).map((u) => `${u.name} ${u.status} ${u.duplicate ? 'duplicate' : ''} ${u.body ?? ''}`).join('; ')}`);
  for (const g of r.gallery) if (g.errorSamples.length > 0) out.push(`${g.name}: ${g.errorSamples.join('; ')}`);
  const expected = new Set(r.expected.inputs.map((i) => i.sha256));
  const rows = countBy(assets.map((a) => a.sha256));
  const missing = r.expected.inputs.filter((i) => !rows[i.sha256]);
  const extra = assets.filter((a) => !expected.has(a.sha256));
  const twice = Object.entries(rows).filter(([, n]) => n > 1);
  if (missing.length > 0) failures.push(`${missing.length} inputs have no asset row (lost), e.g. ${missing.slice(0, 3).map((i) => i.name).join(', ')}`);
  if (twice.length > 0) failures.push(`${twice.length} inputs have more than one asset row`);
  if (extra.length > 0) failures.push(`${extra.length} asset rows match no input`);
  if (assets.length !== r.expected.inputs.length) failures.push(`${assets.length} asset rows for ${r.expected.inputs.length} distinct inputs`);
  const notReady = assets.filter((a) => a.status !== 'ready');
  if (notReady.length > 0) failures.push(`${notReady.length} assets not ready (${JSON.stringify(countBy(notReady.map((a) => a.status)))})${r.timedOut ? ` after ${f(r.allReadySeconds, 0)} s` : ''}`);
  const baseRss = r.rss.baseline?.api ?? 0;
  const loadRss = Math.max(...['storm', 'processing', 'after'].map((p) => r.rss[p]?.api ?? 0));
  const bound = baseRss + r.config.rssMarginMB * MB;
  out.push(`\nAPI RSS: ${f(baseRss / MB)} MB peak in the baseline, ${f(loadRss / MB)} MB peak from the storm on (+${f((loadRss - baseRss) / MB)} MB; bound +${r.config.rssMarginMB} MB)`);
  if (loadRss > bound) failures.push(`the API's RSS reached ${f(loadRss / MB)} MB, over its baseline ${f(baseRss / MB)} MB + ${r.config.rssMarginMB} MB`);

  out.push(failures.length === 0 ? '\nPASS: no 5xx, one ready asset per input, API RSS within its bound' : `\nFAIL:\n${failures.map((x) => `  - ${x}`).join('\n')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return failures;
}
