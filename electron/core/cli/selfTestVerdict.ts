import { formatGb, type BoardResources } from '../../../shared/board.js';
import type { DeathCause, InstanceState, Role } from '../../../shared/instances.js';
import type { PlanOutcome } from '../../../shared/plan.js';

/**
 * The original's verification checklist as data: what one self-test run saw (selfTest.ts gathers it from a real
 * host), and the verdict on each item, pass, fail or not applicable, with the figure it rests on.
 */

/** The original's line for "memory stayed fine": GPU memory and RAM below 80% for the whole run. */
export const MEMORY_LINE_PERCENT = 80;

export interface SelfTestRun {
  minutes: number;
  /** From the host's start to its running (serving, and its watchdog started), or null when it never got there. */
  readyMs: number | null;
  /** Why the host never got ready (its exit, the tail of its stderr), when it did not. */
  startFailure: string | null;
  /** The panel's address and port, without the token. */
  panelAddress: string | null;
  /** The first line of logs/watchdog.log that is its start line, or null. */
  watchdogStartLine: string | null;
  resources: BoardResources | null;
  plan: PlanOutcome | null;
  /** The generated demo model's file in this run's data folder: a model that fits whole on any GPU. */
  demoModelPath: string | null;
  panel: PanelAnswer | null;
  /** Every sample the watchdog took during the run. */
  samples: Array<{ ramPercent: number; gpuPercent: number | null }>;
  brokenPipe: { matches: string[]; linesScanned: number };
  deaths: Array<{ instance: Role; cause: DeathCause; message: string | null }>;
  /** Per instance of the run: finished reflections, the last state, the last error shown. */
  instances: Partial<Record<Role, { reflections: number; state: InstanceState | null; error: string | null }>>;
  /** The host exited before the self-test stopped it. */
  exitedEarly: { code: number | null; signal: string | null } | null;
  ranMs: number;
  stop: { code: number | null; signal: string | null; ms: number } | null;
}

export interface PanelAnswer {
  status: number | null;
  contentType: string | null;
  /** How long the WebSocket took to send the first snapshot, or null when it did not. */
  snapshotMs: number | null;
  error: string | null;
}

export type ItemStatus = 'pass' | 'fail' | 'n/a';

export interface SelfTestItem {
  id: string;
  label: string;
  status: ItemStatus;
  figure: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const counted = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const item = (id: string, label: string, status: ItemStatus, figure: string): SelfTestItem => ({
  id,
  label,
  status,
  figure,
});

function hostStarts(run: SelfTestRun): SelfTestItem {
  const label = 'the host starts';
  if (run.readyMs === null) return item('host-starts', label, 'fail', run.startFailure ?? 'never ready');
  const figure = `running in ${seconds(run.readyMs)} (panel on ${run.panelAddress}, watchdog sampling)`;
  return item('host-starts', label, 'pass', figure);
}

function watchdogLine(run: SelfTestRun): SelfTestItem {
  const label = 'the watchdog logs its start line';
  return run.watchdogStartLine === null
    ? item('watchdog-line', label, 'fail', 'no "[GPU Watchdog] Starting monitoring" line in logs/watchdog.log')
    : item('watchdog-line', label, 'pass', run.watchdogStartLine);
}

function gpuLayers(run: SelfTestRun): SelfTestItem {
  const id = 'gpu-layers';
  const label = 'the plan puts some layers on the GPU, not all, not -1';
  const { resources, plan } = run;
  if (!resources || !plan) return item(id, label, 'fail', 'the host never reported its board and plan');
  if (resources.gpu.kind === 'none') return item(id, label, 'n/a', 'no GPU on this board: it runs on the CPU');
  const backend = resources.backend;
  if (!backend || backend.backend === 'cpu') {
    return item(
      id,
      label,
      'fail',
      `a GPU (${resources.gpu.name}) but llama.cpp runs on the CPU${backend?.note ? ` (${backend.note})` : ''}: ` +
        'build its GPU backend (brain-in-jar doctor says how)',
    );
  }
  if (!plan.ok) return item(id, label, 'fail', `no plan: ${plan.error.message}`);
  const problems: string[] = [];
  const demo = plan.plan.instances.every((planned) => planned.modelPath === run.demoModelPath);
  const shares = plan.plan.instances.map((planned) => {
    const share = `${planned.instance} ${planned.gpuLayers}/${planned.totalLayers}`;
    if (planned.gpuLayers === -1) problems.push(`${planned.instance}: -1 (every layer, unplanned)`);
    else if (planned.gpuLayers === 0) problems.push(`${planned.instance}: none on the GPU`);
    else if (planned.gpuLayers >= planned.totalLayers)
      problems.push(
        `${planned.instance}: all ${planned.totalLayers} (the model fits whole; a larger --model tests the split)`,
      );
    return share;
  });
  const onGpu = `${shares.join(', ')} layers on ${backend.backend.toUpperCase()}`;
  const whole = plan.plan.instances.every((planned) => planned.gpuLayers === planned.totalLayers);
  // The split is the point of the item; the demo model has nothing to split.
  if (demo && whole)
    return item(id, label, 'n/a', `${onGpu}: the demo model fits whole; --model FILE checks the split`);
  return problems.length > 0 ? item(id, label, 'fail', problems.join('; ')) : item(id, label, 'pass', onGpu);
}

function panel(run: SelfTestRun): SelfTestItem {
  const label = 'the panel answers on its port';
  const answer = run.panel;
  if (!answer) return item('panel', label, 'fail', 'not asked: the host never got ready');
  const page = `GET ${run.panelAddress}/?token=… answered ${answer.status ?? 'nothing'}`;
  if (answer.error || answer.status !== 200 || !answer.contentType?.startsWith('text/html')) {
    return item(
      'panel',
      label,
      'fail',
      `${page}${answer.contentType ? ` (${answer.contentType})` : ''}${answer.error ? `: ${answer.error}` : ''}`,
    );
  }
  if (answer.snapshotMs === null) return item('panel', label, 'fail', `${page}, but its WebSocket sent no snapshot`);
  return item('panel', label, 'pass', `${page} (text/html); WebSocket snapshot in ${answer.snapshotMs} ms`);
}

function ram(run: SelfTestRun): SelfTestItem {
  const label = `RAM stays below ${MEMORY_LINE_PERCENT}%`;
  if (run.samples.length === 0) return item('ram', label, 'fail', 'the watchdog took no samples');
  const peak = Math.max(...run.samples.map((sample) => sample.ramPercent));
  const total = run.resources ? ` of ${formatGb(run.resources.ramTotalBytes)}` : '';
  const figure = `peak ${peak.toFixed(1)}%${total} over ${counted(run.samples.length, 'sample')}`;
  return item('ram', label, peak < MEMORY_LINE_PERCENT ? 'pass' : 'fail', figure);
}

function gpuMemory(run: SelfTestRun): SelfTestItem {
  const label = `GPU memory stays below ${MEMORY_LINE_PERCENT}%`;
  const figures = run.samples.flatMap((sample) => (sample.gpuPercent === null ? [] : [sample.gpuPercent]));
  if (figures.length === 0) return item('gpu-memory', label, 'n/a', 'no GPU memory figures on this board');
  const peak = Math.max(...figures);
  const pool = run.resources?.gpu.kind === 'jetson' ? ' (the pool it shares with the RAM)' : '';
  const figure = `peak ${peak.toFixed(1)}%${pool} over ${counted(figures.length, 'sample')}`;
  return item('gpu-memory', label, peak < MEMORY_LINE_PERCENT ? 'pass' : 'fail', figure);
}

function brokenPipe(run: SelfTestRun): SelfTestItem {
  const label = 'no "Broken pipe" or EPIPE in the logs';
  const { matches, linesScanned } = run.brokenPipe;
  if (matches.length === 0) return item('no-epipe', label, 'pass', `0 in ${counted(linesScanned, 'line')}`);
  return item('no-epipe', label, 'fail', `${matches.length} in ${counted(linesScanned, 'line')}, first: ${matches[0]}`);
}

function noCrash(run: SelfTestRun): SelfTestItem {
  const label = `${run.minutes} min without a crash`;
  const problems: string[] = [];
  if (run.readyMs === null) problems.push('the host never ran');
  if (run.exitedEarly) {
    const { code, signal } = run.exitedEarly;
    problems.push(`the host exited after ${seconds(run.ranMs)} (${signal ?? `code ${code}`})`);
  }
  const crashes = run.deaths.filter((death) => death.cause === 'crash');
  for (const crash of crashes) problems.push(`${crash.instance} crashed${crash.message ? `: ${crash.message}` : ''}`);
  const thinking: string[] = [];
  for (const [role, seen] of Object.entries(run.instances)) {
    if (seen.reflections > 0) thinking.push(`${role} ${counted(seen.reflections, 'reflection')}`);
    else if (run.readyMs !== null)
      problems.push(
        `${role} never finished a reflection (${seen.state ?? 'no state'}${seen.error ? `: ${seen.error}` : ''})`,
      );
  }
  if (problems.length > 0) return item('no-crash', label, 'fail', problems.join('; '));
  const others =
    run.deaths.length > 0
      ? `, ${counted(run.deaths.length, 'other death')} (${run.deaths.map((d) => d.cause).join(', ')})`
      : '';
  return item('no-crash', label, 'pass', `${seconds(run.ranMs)}, 0 crashes${others}; ${thinking.join(', ')}`);
}

function cleanStop(run: SelfTestRun): SelfTestItem {
  const label = 'the host stops on SIGTERM';
  if (!run.stop) return item('clean-stop', label, 'n/a', run.exitedEarly ? 'it had already exited' : 'never started');
  const { code, signal, ms } = run.stop;
  return code === 0
    ? item('clean-stop', label, 'pass', `exit 0, ${seconds(ms)} after SIGTERM`)
    : item(
        'clean-stop',
        label,
        'fail',
        `${signal ? `ended by ${signal}` : `exit ${code}`}, ${seconds(ms)} after SIGTERM`,
      );
}

export function selfTestVerdict(run: SelfTestRun): SelfTestItem[] {
  return [hostStarts, watchdogLine, gpuLayers, panel, ram, gpuMemory, brokenPipe, noCrash, cleanStop].map((check) =>
    check(run),
  );
}

export function formatVerdict(items: readonly SelfTestItem[], header: string): string {
  const width = Math.max(...items.map((one) => one.label.length));
  const word: Record<ItemStatus, string> = { pass: 'PASS', fail: 'FAIL', 'n/a': 'N/A ' };
  const count = (status: ItemStatus) => items.filter((one) => one.status === status).length;
  const failed = count('fail') > 0;
  return [
    header,
    ...items.map((one) => `  ${word[one.status]}  ${one.label.padEnd(width)}  ${one.figure}`),
    `Result: ${failed ? 'FAIL' : 'PASS'} (${count('pass')} pass, ${count('fail')} fail, ${count('n/a')} not applicable)`,
  ].join('\n');
}
