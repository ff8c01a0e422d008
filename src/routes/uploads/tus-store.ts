/**
 * The tus server's data store, over the resumable-upload service. @tus/server speaks the
 * protocol; this adapter hands each call to the service with the principal of the request it
 * serves (carried in AsyncLocalStorage, as the store's interface has no room for it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Readable } from 'node:stream';
import { DataStore, Upload } from '@tus/utils';
import type { Principal } from '../../services/access.js';
import type { FinishedUpload, ResumableService } from '../../services/resumable.js';

/** What one tus request carries through the store's calls. */
export interface TusRequestState {
  principal: Principal | null;
  /** set when the upload asked about is complete: the response names its asset */
  finished?: FinishedUpload | 'pending';
  /** an error of ours that @tus/server caught, to be answered as the rest of the API answers it */
  error?: Error;
}

export const tusRequest = new AsyncLocalStorage<TusRequestState>();

function state(): TusRequestState {
  const s = tusRequest.getStore();
  if (!s) throw new Error('a tus store call outside a request');
  return s;
}

/**
 * Runs a call of ours for the tus server, keeping its error for the reply: @tus/server turns
 * some errors into its own (a failed write into "aborted", say), and the client should hear ours.
 */
export async function recorded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const s = tusRequest.getStore();
    if (s && !s.error && err instanceof Error) s.error = err;
    throw err;
  }
}

export class ResumableStore extends DataStore {
  constructor(private readonly service: ResumableService) {
    super();
    // no checksum: @tus/server does not implement the extension; the finished upload's SHA-256
    // is answered instead (Lamha-Sha256), for the client to compare with its own
    this.extensions = ['creation', 'creation-with-upload', 'termination', 'expiration'];
  }

  override async create(upload: Upload): Promise<Upload> {
    const meta = upload.metadata ?? {};
    const pick = (k: string) => meta[k] ?? undefined;
    const row = await recorded(() => this.service.create(state().principal, upload.id, upload.size ?? 0, {
      event: pick('event'), album: pick('album'), filename: pick('filename') ?? pick('name'), filetype: pick('filetype'),
      caption: pick('caption'), locale: pick('locale'),
    }));
    upload.creation_date = this.creationDate(row.expiresAt);
    return upload;
  }

  override async getUpload(id: string): Promise<Upload> {
    const s = state();
    const row = await recorded(() => this.service.get(s.principal, id));
    const complete = row.state !== 'receiving';
    if (row.state === 'done') s.finished = { id: row.resultId!, status: 'processing', duplicate: row.duplicate!, sha256: row.sha256!.toString('hex') };
    else if (row.state === 'received') s.finished = 'pending';
    return new Upload({
      id: row.id,
      size: row.length,
      offset: complete ? row.length : row.received,
      metadata: { filename: row.filename },
      creation_date: this.creationDate(row.expiresAt),
    });
  }

  override async write(stream: Readable, id: string, offset: number): Promise<number> {
    return recorded(() => this.service.write(state().principal, id, offset, stream));
  }

  override async remove(id: string): Promise<void> {
    await recorded(() => this.service.remove(state().principal, id));
  }

  override async deleteExpired(): Promise<number> {
    return this.service.expire();
  }

  override getExpiration(): number {
    return this.service.expiryMs;
  }

  /**
   * @tus/server dates expiry from creation; Lamha's runs from the last write, so an upload
   * that keeps moving never expires. The date answered is the one that makes the server's
   * arithmetic (creation + expiration) come out at the upload's real expiry.
   */
  private creationDate(expiresAt: Date): string {
    return new Date(expiresAt.getTime() - this.service.expiryMs).toISOString();
  }
}
