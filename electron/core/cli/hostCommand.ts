import { unpackedPath } from '../asarPath.js';

/** How this process runs, which decides the command line that starts a headless host. */
export interface Runtime {
  /** process.execPath: node, or the Electron binary (inside the AppImage's mount while it runs). */
  execPath: string;
  /** Running in Electron (process.versions.electron). */
  electron: boolean;
  /** $APPIMAGE, set by the AppImage runtime: the AppImage file itself, a path that stays. */
  appImage: string | undefined;
  /** The headless entry as this process sees it (inside app.asar when packaged). */
  headlessScript: string;
  /** Loader flags the script needs (tsx, from source). */
  execArgv: readonly string[];
}

export interface HostCommand {
  argv: string[];
  /** The file the command runs: the AppImage, or the headless script. */
  entry: string;
  /** Environment the command needs beyond the caller's. */
  env: Record<string, string>;
}

/**
 * The command line that starts a headless host running `args`, for a unit's ExecStart or a child process:
 * - from an AppImage, the AppImage itself with `run --headless`: its mount point changes at every start and its
 *   AppRun may put Chromium's --no-sandbox first, so neither the binary inside nor Electron's node mode can be
 *   named; the Electron entry runs the host before Chromium starts (entryRoute.ts);
 * - other Electron (the tar.gz, a development run): the Electron binary as Node (ELECTRON_RUN_AS_NODE) on the
 *   unpacked headless script;
 * - Node: node on the headless script.
 */
export function hostCommand(runtime: Runtime, args: readonly string[]): HostCommand {
  if (runtime.electron && runtime.appImage) {
    return { argv: [runtime.appImage, 'run', '--headless', ...args], entry: runtime.appImage, env: {} };
  }
  const script = runtime.electron ? unpackedPath(runtime.headlessScript) : runtime.headlessScript;
  return {
    argv: [runtime.execPath, ...runtime.execArgv, script, 'run', ...args],
    entry: script,
    env: runtime.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
  };
}

/** This process's runtime, with the headless entry it would start. */
export function thisRuntime(headlessScript: string, execArgv: readonly string[] = []): Runtime {
  return {
    execPath: process.execPath,
    electron: process.versions.electron !== undefined,
    appImage: process.env.APPIMAGE || undefined,
    headlessScript,
    execArgv,
  };
}
