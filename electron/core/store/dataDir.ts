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
