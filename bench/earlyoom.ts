import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

import { onLines } from '../electron/core/lines.js';

/**
 * earlyoom (Debian's package) as the peer the watchdog bench measures against: found, its daemon kept out of the
 * way, and one foreground earlyoom per run at the run's line. Debian's postinst enables earlyoom.service and starts it
 * where systemd runs; a daemon at its default line (10% available) would not act in a run, but one configured for
 * this board could kill the hog first and take the figures for its own, so none may run beside the bench's.
 */

export const INSTALL_HINT = 'apt-get install -y earlyoom (Debian and Ubuntu: the package of the same name)';

/** The hog's process name (it sets its title to it), which each run's earlyoom prefers. */
export const HOG_TITLE = 'bij-hog';

export interface EarlyoomSetup {
  version: string;
  /** What the setup did to make the bench's earlyoom the only one, in words, for the report. */
  actions: string[];
}

/** The installed earlyoom's version ("1.7"), or null when none is on the PATH. */
export function earlyoomVersion(): string | null {
  const run = spawnSync('earlyoom', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (run.error || run.status !== 0) return null;
  return /earlyoom v?(\S+)/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? null;
}

function systemctl(...args: string[]): { ok: boolean; out: string } {
  const run = spawnSync('systemctl', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: !run.error && run.status === 0, out: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}

/** Pids of running processes named earlyoom, other than those in `ours`. */
export function foreignEarlyooms(ours: ReadonlySet<number> = new Set()): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isSafeInteger(pid) || ours.has(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'earlyoom') pids.push(pid);
    } catch {
      // Gone between the listing and the read.
    }
  }
  return pids;
}

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * Makes the bench's earlyoom the only one: stops and masks earlyoom.service where systemctl works (masked, so that
 * systemd's Restart=always does not bring it back mid-run), then stops any earlyoom still running that this bench did
 * not start. Returns null, with the reason logged, when earlyoom is missing or a running one cannot be stopped.
 */
export async function prepareEarlyoom(log: (line: string) => void): Promise<EarlyoomSetup | null> {
  const version = earlyoomVersion();
  if (version === null) {
    log(`  earlyoom is not installed: its runs are left out (no figures are made up). Install it: ${INSTALL_HINT}`);
    return null;
  }
  const actions: string[] = [];
  const hasSystemctl = !spawnSync('systemctl', ['--version'], { timeout: 5000 }).error;
  if (hasSystemctl) {
    if (systemctl('is-active', '--quiet', 'earlyoom').ok) {
      const stop = systemctl('stop', 'earlyoom');
      actions.push(stop.ok ? 'stopped earlyoom.service' : `could not stop earlyoom.service: ${stop.out}`);
    }
    // is-enabled reads unit files, so it answers (and mask works) even where systemd is not running.
    if (systemctl('is-enabled', 'earlyoom').out !== 'masked') {
      const mask = systemctl('mask', 'earlyoom');
      actions.push(
        mask.ok
          ? 'masked earlyoom.service (undo: systemctl unmask earlyoom)'
          : `could not mask earlyoom.service: ${mask.out}`,
      );
    }
  }
  for (const pid of foreignEarlyooms()) {
    const line = commandLine(pid);
    try {
      process.kill(pid, 'SIGTERM');
    } catch (error) {
      log(
        `  an earlyoom this bench did not start is running (pid ${pid}: ${line}) and cannot be stopped ` +
          `(${(error as NodeJS.ErrnoException).code}): its runs are left out; stop it, or run the bench as root`,
      );
      return null;
    }
    if (!(await waitGone(pid, 5000))) {
      log(`  the running earlyoom (pid ${pid}) did not stop within 5 s of SIGTERM: its runs are left out`);
      return null;
    }
    actions.push(`stopped a running earlyoom this bench did not start (pid ${pid}: ${line})`);
  }
  for (const action of actions) log(`  earlyoom setup: ${action}`);
  return { version, actions };
}

/** The flags of one run: SIGTERM once MemAvailable is at or under `minAvailableBytes`, the hog preferred. */
export function earlyoomArgs(minAvailableBytes: number): string[] {
  return [
    '-M',
    String(Math.floor(minAvailableBytes / 1024)),
    // Memory alone decides, as for our line: earlyoom acts only when swap is also under its minimum (10% by default).
    '-s',
    '100',
    '--prefer',
    `^${HOG_TITLE}$`,
    // No periodic report: each one is a write that would cost it time in the loop it is measured on.
    '-r',
    '0',
  ];
}

export interface EarlyoomRun {
  readonly child: ChildProcess;
  /** When (Date.now() here) earlyoom said it sent SIGTERM, and to which pid; undefined until it does. */
  sigterm: { at: number; pid: number } | undefined;
  readonly output: string[];
  stop(): Promise<void>;
}

/**
 * Starts earlyoom in the foreground and resolves once it polls (it has printed its lines). Its kill lines go to stderr
 * unbuffered; each is stamped when it arrives here, a little after earlyoom sent the signal.
 */
export async function startEarlyoom(minAvailableBytes: number): Promise<EarlyoomRun> {
  const child = spawn('earlyoom', earlyoomArgs(minAvailableBytes), { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: EarlyoomRun = {
    child,
    sigterm: undefined,
    output: [],
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
  const polling = new Promise<void>((resolve, reject) => {
    const hear = (line: string) => {
      run.output.push(line);
      const kill = /sending SIGTERM to process (\d+)/.exec(line);
      if (kill && !run.sigterm) run.sigterm = { at: Date.now(), pid: Number(kill[1]) };
      // Its last line before its loop; with -r 0 it prints no report until it acts.
      if (/SIGKILL when mem/.test(line)) resolve();
    };
    onLines(child.stdout!, hear);
    onLines(child.stderr!, hear);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`earlyoom exited (${code ?? signal}) before it polled:\n${run.output.join('\n')}`)),
    );
  });
  const timeout = setTimeout(() => void run.stop(), 10_000);
  try {
    await polling;
  } finally {
    clearTimeout(timeout);
  }
  return run;
}
