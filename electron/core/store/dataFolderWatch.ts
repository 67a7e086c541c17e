import fs from 'node:fs';
import path from 'node:path';

import { formatSize, isLowOnSpace, type DataFolderStatus, type DiskState } from '../../../shared/dataFolder.js';
import type { Settings } from '../../../shared/settings.js';
import { Disposables } from '../emitter.js';
import type { EventBus } from '../eventBus.js';
import type { Logger } from '../logger.js';
import type { DeathCountStore } from './deathCounts.js';
import { applyRetention, folderBytes, measureSessions, retentionRule } from './retention.js';
import type { SessionStore } from './sessionStore.js';

/** Free and total bytes of the file system a folder is on. */
export type Statfs = (directory: string) => { freeBytes: number; totalBytes: number };

const statfs: Statfs = (directory) => {
  const stats = fs.statfsSync(directory);
  return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
};

/** A data folder as `doctor` shows it, without making it: what it holds and the room left on its disk. */
export interface DataFolderReport {
  path: string;
  exists: boolean;
  dataDirBytes: number;
  sessions: number;
  /** Of the folder's disk (the nearest existing parent's, before the folder is made); null if not measured. */
  freeBytes: number | null;
  totalBytes: number | null;
  /** ok or low, by the same line as the host's; null if not measured. */
  state: Exclude<DiskState, 'full'> | null;
}

export function measureDataFolder(root: string, measure: Statfs = statfs): DataFolderReport {
  const exists = fs.existsSync(root);
  let space: { freeBytes: number; totalBytes: number } | null = null;
  for (let folder = root; space === null; folder = path.dirname(folder)) {
    try {
      space = measure(folder);
    } catch {
      if (folder === path.dirname(folder)) break;
    }
  }
  return {
    path: root,
    exists,
    dataDirBytes: folderBytes(root),
    sessions: measureSessions(path.join(root, 'sessions')).length,
    freeBytes: space?.freeBytes ?? null,
    totalBytes: space?.totalBytes ?? null,
    state: space ? (isLowOnSpace(space.freeBytes, space.totalBytes) ? 'low' : 'ok') : null,
  };
}

/** While the disk is full, the held records are tried this often. */
const PROBE_MS = 2000;
/** Free space and the folder's size are measured this often otherwise. */
const CHECK_MS = 60_000;
/** Retention runs this often (and at start, when its settings change, and when the disk fills up). */
const RETENTION_MS = 60 * 60 * 1000;

export interface DataFolderWatchOptions {
  store: SessionStore;
  deathCounts: DeathCountStore;
  settings: () => Pick<Settings, 'retentionGb' | 'retentionDays'>;
  /** Where the status goes (`store.disk`), and where a change of the retention settings is heard. */
  bus: Pick<EventBus, 'emit' | 'subscribe'>;
  log: Logger;
  statfs?: Statfs;
  now?: () => number;
}

/**
 * The data folder's disk, watched: a write the disk refuses (ENOSPC, EDQUOT, EIO) makes the state `full` (the
 * session's files hold their records in memory; the death counts are kept in memory), said as a `store.disk` event
 * and a log line; every PROBE_MS the held records are tried, and once the disk takes them all the state is back.
 * Free space under the low line is `low`, a warning well before the disk is full. Retention keeps the sessions
 * under their size and age caps. The instances never notice any of it.
 */
export class DataFolderWatch {
  private state: DiskState = 'ok';
  private failure: string | null = null;
  private space: { freeBytes: number; totalBytes: number } | null = null;
  private dataDirBytes: number | null = null;
  private lastCheck = 0;
  private lastRetention = 0;
  private lastSent = '';
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly bindings = new Disposables();
  private readonly statfs: Statfs;
  private readonly now: () => number;

  constructor(private readonly options: DataFolderWatchOptions) {
    this.statfs = options.statfs ?? statfs;
    this.now = options.now ?? Date.now;
    this.bindings.add(options.store.onWriteFailure((error) => this.failed(error)));
    this.bindings.add(options.deathCounts.onWriteFailure((error) => this.failed(error)));
    this.bindings.add(
      options.bus.subscribe((event) => {
        if (event.type !== 'settings.changed' || !event.changed.some((key) => key.startsWith('retention'))) return;
        this.prune();
        this.check();
      }),
    );
  }

  /** Says what was wrong with deaths.json at start, runs retention, measures, says the state, keeps watching. */
  start(): void {
    if (this.options.deathCounts.notice) this.options.log.warn('host', this.options.deathCounts.notice);
    this.prune();
    this.check();
    // What was refused before the watch listened (a damaged deaths.json mended on a full disk) is tried now.
    this.retry();
    this.timer = setInterval(() => this.tick(), PROBE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.bindings.dispose();
    // A last try: what the disk still refuses now is lost with the process, and said.
    if (this.state === 'full' && !this.retry()) {
      const { held } = this.options.store.heldCounts();
      if (held > 0) this.options.log.warn('host', `${held} records could not be written (disk full) and are lost`);
    }
  }

  status(): DataFolderStatus {
    const { held, lost } = this.options.store.heldCounts();
    return {
      state: this.state,
      freeBytes: this.space?.freeBytes ?? null,
      totalBytes: this.space?.totalBytes ?? null,
      dataDirBytes: this.dataDirBytes,
      held,
      lost,
      message: this.message(held, lost),
    };
  }

  private tick(): void {
    const now = this.now();
    if (this.state === 'full') this.probe();
    else if (now - this.lastCheck >= CHECK_MS) this.check();
    if (now - this.lastRetention >= RETENTION_MS) this.prune();
  }

  /** A write was refused. Called from inside the write, so the news goes out once that write has unwound. */
  private failed(error: Error): void {
    if (this.state === 'full') return;
    this.state = 'full';
    this.failure = (error as NodeJS.ErrnoException).code ?? error.message;
    queueMicrotask(() => {
      this.prune();
      this.measureSpace();
      this.options.log.warn('host', this.status().message);
      this.send();
    });
  }

  /** While full: the held records are tried; when the disk takes them all, writing resumes. */
  private probe(): void {
    this.measureSpace();
    if (!this.retry()) {
      this.send();
      return;
    }
    this.failure = null;
    this.state = this.spaceState();
    const { lost } = this.options.store.heldCounts();
    this.options.log.info(
      'host',
      `disk space is back: transcripts resumed, the held records written${lost > 0 ? ` (${lost} were lost)` : ''}`,
    );
    this.check();
  }

  private retry(): boolean {
    const transcripts = this.options.store.retryHeld();
    return this.options.deathCounts.retrySave() && transcripts;
  }

  /** Measures free space and the folder; says a change of ok <-> low. */
  private check(): void {
    this.lastCheck = this.now();
    this.measureSpace();
    this.dataDirBytes = folderBytes(this.options.store.paths.root);
    if (this.state !== 'full') {
      const next = this.spaceState();
      if (next !== this.state) {
        if (next === 'low') this.options.log.warn('host', this.message(0, 0, next));
        else this.options.log.info('host', `disk space is no longer low: ${this.message(0, 0, next)}`);
      }
      this.state = next;
    }
    this.send();
  }

  private prune(): void {
    this.lastRetention = this.now();
    const { store, log } = this.options;
    const pass = applyRetention(
      store.paths.sessions,
      retentionRule(this.options.settings()),
      store.sessionId,
      this.now(),
    );
    if (pass.removed.length > 0) {
      log.info('host', `retention removed ${pass.removed.length} old sessions (${formatSize(pass.freedBytes)})`);
    }
    if (pass.failed.length > 0) log.warn('host', `retention could not remove ${pass.failed.join(', ')}`);
  }

  private measureSpace(): void {
    try {
      this.space = this.statfs(this.options.store.paths.root);
    } catch {
      this.space = null;
    }
  }

  private spaceState(): DiskState {
    return this.space && isLowOnSpace(this.space.freeBytes, this.space.totalBytes) ? 'low' : 'ok';
  }

  /** Emits the status when anything in it changed since the last one sent. */
  private send(): void {
    const status = this.status();
    const key = JSON.stringify(status);
    if (key === this.lastSent) return;
    this.lastSent = key;
    this.options.bus.emit({ type: 'store.disk', ...status });
  }

  private message(held: number, lost: number, state: DiskState = this.state): string {
    const free = this.space ? `${formatSize(this.space.freeBytes)} free of ${formatSize(this.space.totalBytes)}` : '';
    const holds = this.dataDirBytes === null ? '' : `the data folder holds ${formatSize(this.dataDirBytes)}`;
    const figures = [free, holds].filter(Boolean).join('; ');
    if (state === 'full') {
      const what =
        this.failure === 'ENOSPC' || this.failure === 'EDQUOT'
          ? `disk full: transcripts paused (${this.failure})`
          : `cannot write the data folder (${this.failure}): transcripts paused`;
      const kept = `${held} records held in memory until space returns${lost > 0 ? `, ${lost} lost` : ''}`;
      return `${what}; ${kept}${figures ? `; ${figures}` : ''}`;
    }
    if (state === 'low') return `disk space low: ${figures}; make room before the disk is full`;
    return figures || 'disk space not measured';
  }
}
