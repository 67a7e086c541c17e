/**
 * The data folder's disk, as the host watches it: whether transcripts are being written, how much room is left, and
 * how much the folder holds.
 *   ok    writing, room enough
 *   low   writing, but free space is under LOW_FREE_BYTES (or under LOW_FREE_FRACTION of a disk smaller than ten
 *         times that): time to make room before the disk is full
 *   full  a write was refused (no space, quota, I/O error): transcripts paused, records held in memory and written
 *         when the disk takes them again, which the host tries every few seconds
 */
export type DiskState = 'ok' | 'low' | 'full';

export interface DataFolderStatus {
  state: DiskState;
  /** Free bytes for this user on the data folder's file system, or null when it could not be measured. */
  freeBytes: number | null;
  /** The size of that file system, or null. */
  totalBytes: number | null;
  /** What the data folder holds (sessions, logs, models, settings), or null before it is first measured. */
  dataDirBytes: number | null;
  /** Records (transcript lines, events, crash report lines) held in memory for the disk to take. */
  held: number;
  /** Records dropped since the host started because the memory set aside for held ones was full. */
  lost: number;
  /** In words, for the panel and the log: "disk full: transcripts paused (...)". */
  message: string;
}

/** Below this much free space the disk is low (on disks of 10 GB and more). */
export const LOW_FREE_BYTES = 2 ** 30;
/** On a disk smaller than ten times LOW_FREE_BYTES, low is under this share of it. */
export const LOW_FREE_FRACTION = 0.1;

/** Whether this much free space is low: under 1 GB, or under 10% of a disk smaller than 10 GB. */
export function isLowOnSpace(freeBytes: number, totalBytes: number): boolean {
  return freeBytes < Math.min(LOW_FREE_BYTES, totalBytes * LOW_FREE_FRACTION);
}

/** A size as the panel and the log say it: "812 KB", "45.3 MB", "1.8 GB". */
export function formatSize(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}
