import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Where everything the app writes lives:
 *   settings.json, deaths.json                 small state, replaced atomically
 *   models/demo.gguf                           the generated demo model
 *   sessions/<session>/<ROLE>.jsonl            transcripts, append-only
 *   sessions/<session>/events.jsonl            every event but the high-frequency ones
 *   logs/crash_reports.log                     one block per death, as the original kept
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const configHome =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), '.config');
  return path.join(configHome, 'brain-in-jar');
}

/** The data folder the flags name (--data-dir), else the default, as an absolute path. */
export function dataDirOf(flags: { dataDir?: string | undefined }): string {
  return path.resolve(flags.dataDir ?? defaultDataDir());
}

export interface DataPaths {
  root: string;
  deaths: string;
  settings: string;
  models: string;
  sessions: string;
  logs: string;
  crashReports: string;
}

export function dataPaths(root: string): DataPaths {
  return {
    root,
    deaths: path.join(root, 'deaths.json'),
    settings: path.join(root, 'settings.json'),
    models: path.join(root, 'models'),
    sessions: path.join(root, 'sessions'),
    logs: path.join(root, 'logs'),
    crashReports: path.join(root, 'logs', 'crash_reports.log'),
  };
}

/** A sortable, file-name-safe session id: the start time, plus the pid so two hosts never collide. */
export function newSessionId(now: Date = new Date(), pid: number = process.pid): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${pid}`;
}

/** A data folder the host cannot use, in words the operator can act on (the folder named, what to do). */
export class DataDirProblem extends Error {}

/** Why an error from a file in `root` (or of no file) is a problem of the data folder, in words; null when it is not. */
export function dataDirProblem(error: unknown, root: string): string | null {
  const { code, path: where } = error as NodeJS.ErrnoException;
  if (where !== undefined && path.relative(root, where).startsWith('..')) return null;
  const what = where && where !== root ? ` (${where})` : '';
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the data folder ${root} is on a full disk${what}; free some space there, or choose another folder with --data-dir`;
    case 'EROFS':
      return `the data folder ${root} is on a read-only file system${what}; choose a writable folder with --data-dir`;
    case 'EACCES':
    case 'EPERM':
      return `the data folder ${root} is not writable by this user${what}; fix its permissions, or choose another folder with --data-dir`;
    case 'EEXIST':
    case 'ENOTDIR':
      return `the data folder ${root} is not a folder: a file is in the way${what}; remove it, or choose another folder with --data-dir`;
    default:
      return null;
  }
}

/**
 * Makes the data folder (and its parents) and checks that this process may write in it, before anything else
 * touches it: a file in its place, a read-only disk or a folder of someone else's throws a DataDirProblem. (Node's
 * recursive mkdir says ENOENT on a read-only file system; the nearest existing folder says why.)
 */
export function prepareDataDir(root: string): void {
  try {
    fs.mkdirSync(root, { recursive: true });
    if (!fs.statSync(root).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    fs.accessSync(root, fs.constants.W_OK);
  } catch (error) {
    let cause = error as NodeJS.ErrnoException;
    if (cause.code === 'ENOENT') cause = accessOfNearestFolder(root) ?? cause;
    throw new DataDirProblem(
      dataDirProblem({ code: cause.code }, root) ??
        `cannot use the data folder ${root} (${cause.message}); choose another folder with --data-dir`,
    );
  }
}

function accessOfNearestFolder(root: string): NodeJS.ErrnoException | null {
  for (let folder = path.dirname(root); ; folder = path.dirname(folder)) {
    try {
      if (fs.statSync(folder).isDirectory()) {
        fs.accessSync(folder, fs.constants.W_OK);
        return null;
      }
      return Object.assign(new Error(`${folder} is not a directory`), { code: 'ENOTDIR' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return error as NodeJS.ErrnoException;
    }
    if (folder === path.dirname(folder)) return null;
  }
}
