/**
 * What Lamha's processes tell Prometheus. Each process (each app instance in tests) has a
 * registry of its own, never prom-client's global one, so several apps in one process do not
 * collide. Labels hold route patterns, queue and job names, storage operations and error codes
 * only: never a URL, an id, a token or an address.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_POLICY } from '../queues/jobs.js';
import { STORAGE_OPERATIONS } from '../storage/counted.js';
import { uploadMemory } from '../storage/object-store.js';

/** An error of the object-store adapter, by operation and by its LAMHA_ code. */
export type StorageErrorCounter = Counter<'operation' | 'code'>;

export interface ApiMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  storageErrors: StorageErrorCounter;
}

export interface WorkerMetrics {
  registry: Registry;
  jobDuration: Histogram<'queue' | 'job_name' | 'outcome'>;
  jobFailures: Counter<'queue' | 'job_name' | 'final'>;
  storageErrors: StorageErrorCounter;
}

function storageErrorCounter(registry: Registry): StorageErrorCounter {
  const counter = new Counter({
    name: 'lamha_storage_errors_total',
    help: 'Errors of the object store (S3), by operation and error code (LAMHA_NOT_FOUND: the object is missing; LAMHA_STORAGE_UNAVAILABLE: the store failed)',
    labelNames: ['operation', 'code'],
    registers: [registry],
  });
  // at 0 from the start: a series born at 1 is no increase to Prometheus, and its alert
  // (ops/prometheus) would miss the first outage of each process
  for (const operation of STORAGE_OPERATIONS) counter.inc({ operation, code: 'LAMHA_STORAGE_UNAVAILABLE' }, 0);
  return counter;
}

/** The process's upload part buffers (UPLOAD_MEMORY_MB): in use, and parts waiting for their turn. */
function uploadMemoryGauges(registry: Registry): void {
  new Gauge({
    name: 'lamha_upload_memory_bytes',
    help: 'Bytes of S3 part buffers the uploads of this process hold (bounded by UPLOAD_MEMORY_MB)',
    registers: [registry],
    collect() {
      this.set(uploadMemory.usage.bytes);
    },
  });
  new Gauge({
    name: 'lamha_upload_memory_waiting',
    help: 'Upload parts waiting for part memory (UPLOAD_MEMORY_MB spent): above zero for long, uploads are slowed down',
    registers: [registry],
    collect() {
      this.set(uploadMemory.usage.waiting);
    },
  });
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  uploadMemoryGauges(registry);
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status_code'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request (to its last byte), by method, route pattern and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers: [registry],
    }),
    storageErrors: storageErrorCounter(registry),
  };
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  uploadMemoryGauges(registry);
  return {
    registry,
    jobDuration: new Histogram({
      name: 'lamha_job_duration_seconds',
      help: 'Time a job run took in this worker process, from its start to its end, by queue, job name and outcome (completed or failed)',
      labelNames: ['queue', 'job_name', 'outcome'],
      // a photo takes about a second, a video piece minutes, a whole-video plan longer
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
    jobFailures: jobFailureCounter(registry),
    storageErrors: storageErrorCounter(registry),
  };
}

function jobFailureCounter(registry: Registry): WorkerMetrics['jobFailures'] {
  const counter = new Counter({
    name: 'lamha_job_failures_total',
    help: 'Failed job runs in this worker process, by queue and job name; final="true" when the job is not tried again',
    labelNames: ['queue', 'job_name', 'final'],
    registers: [registry],
  });
  // at 0 from the start, as the storage errors (above)
  for (const [job, { queue }] of Object.entries(JOB_POLICY)) for (const final of ['true', 'false']) counter.inc({ queue, job_name: job, final }, 0);
  return counter;
}
