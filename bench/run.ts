/**
 * npm run bench [-- NAME ...] [--json] [--recording=FILE (renderer: replay a kept recording)]
 *   [--watchdog-runs=N (watchdog: runs of each policy at each rate, 11 unless told; fewer for a quick look)]
 *   [--minutes N] [--seed S] (soak: how long, and the seed of its random kills and calls; not run by default)
 * Prints each benchmark's figures as a table (medians, and ratios against a baseline run side by side), or with
 * --json one JSON object holding them all.
 */
import { cleanUpOnSignals, exitAfterCleanUp, interrupted } from './cleanup.js';
import { benchAdmission, printAdmission } from './admission.js';
import { benchPath, printPath } from './path.js';
import { benchPlanner, printPlanner } from './planner.js';
import { benchRenderer, printRenderer } from './renderer.js';
import { benchSoak } from './soak.js';
import { printSoak, soakFailures } from './soakVerdict.js';
import { benchWatchdog } from './watchdog.js';
import { printWatchdog } from './watchdogReport.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
/** A flag's value, given as `--flag N` or `--flag=N`; its text is taken out of the names. */
const valueFlags = new Map<string, string>();
const names: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i]!;
  const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
  if (flag === '--minutes' || flag === '--seed') valueFlags.set(flag, inline ?? args[++i] ?? '');
  else if (!arg.startsWith('--')) names.push(arg);
}
const numberFlag = (flag: string, fallback: number, check: (n: number) => boolean): number => {
  const text = valueFlags.get(flag);
  if (text === undefined) return fallback;
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!check(value)) {
    process.stderr.write(`bench: ${flag} takes a positive decimal number, not "${text}"\n`);
    process.exit(2);
  }
  return value;
};
const available = ['path', 'planner', 'watchdog', 'admission', 'renderer', 'soak'] as const;
/** The soak runs only when named: it takes as long as it is told to. */
const byDefault = available.filter((name) => name !== 'soak');
const selected = names.length > 0 ? names : [...byDefault];
for (const name of selected) {
  if (!(available as readonly string[]).includes(name)) {
    process.stderr.write(`bench: unknown benchmark "${name}" (one of ${available.join(', ')})\n`);
    process.exit(2);
  }
}

const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
};
const results: Record<string, unknown> = {};
cleanUpOnSignals(log);
/** A bench interrupted by Ctrl-C fails where it waited; the signal's clean-up then ends the process, not that failure. */
const unlessInterrupted = <T>(running: Promise<T>): Promise<T> =>
  running.catch((error: unknown) => (interrupted() ? exitAfterCleanUp() : Promise.reject(error)));
for (const name of selected) {
  if (name === 'path') {
    log('path: running...');
    const result = await benchPath({ runs: 5, reflections: 6, log });
    results.path = result;
    if (!json) log(`\n${printPath(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'planner') {
    log('planner: running...');
    const result = await benchPlanner({ runs: 3, thinkSeconds: 8, log });
    results.planner = result;
    if (!json) log(`\n${printPlanner(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'watchdog') {
    log('watchdog: running...');
    const runs = Number(args.find((arg) => arg.startsWith('--watchdog-runs='))?.slice('--watchdog-runs='.length) ?? 11);
    if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--watchdog-runs= takes a whole number of runs');
    const result = await unlessInterrupted(benchWatchdog({ runs, log }));
    results.watchdog = result;
    if (!json) log(`\n${printWatchdog(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'admission') {
    log('admission: running...');
    const result = await benchAdmission({ runs: 5, log });
    results.admission = result;
    if (!json) log(`\n${printAdmission(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'renderer') {
    log('renderer: running...');
    const recordingFile = args.find((arg) => arg.startsWith('--recording='))?.slice('--recording='.length);
    const result = await benchRenderer({ runs: 3, log, recordingFile });
    results.renderer = result;
    if (!json) log(`\n${printRenderer(result)}\n`);
  }
}
for (const name of selected) {
  if (name === 'soak') {
    const minutes = numberFlag('--minutes', 1, (n) => n > 0);
    const seed = numberFlag('--seed', Date.now() % 1_000_000, (n) => Number.isSafeInteger(n));
    log(`soak: running for ${minutes} min, seed ${seed}...`);
    const figures = await unlessInterrupted(benchSoak({ minutes, seed, log }));
    const failures = soakFailures(figures);
    results.soak = { ...figures, failures };
    if (!json) log(`\n${printSoak(figures, failures)}\n`);
    else for (const failure of failures) process.stderr.write(`soak: FAILED: ${failure}\n`);
    if (failures.length > 0) process.exitCode = 1;
  }
}
if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
