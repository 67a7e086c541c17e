import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Broken nvidia-smi stand-ins (there is no GPU here), each a bash script named nvidia-smi in a fresh temporary folder,
 * so that its path names its processes alone: each one logs its pid, and a test counts those still alive and naming
 * that path in /proc/<pid>/cmdline. The script tells the one-shot query (the inventory: no -lms) from the long-running
 * monitor (-lms N) and behaves as told in each; every start and every line printed goes to `log` with the time, so a
 * test can count restarts and know when the tool last said something.
 *
 * - good: one line and exit (the query), or a line every N ms (the monitor);
 * - hang: ignores SIGTERM and prints nothing, for ever;
 * - hang-child: the same, with a child (named PATH-child) that ignores SIGTERM too;
 * - garbage: prints "-1,-2,-3,-4,-5";
 * - one-line: prints one good line and exits;
 * - stall: prints four good lines (a second at -lms 250), then nothing (ignoring SIGTERM), each time it is run;
 * - stale: prints good lines for about a second, then nothing (ignoring SIGTERM); restarted, nothing at all.
 *
 * The good line is the RTX 2060 recording (tests/fixtures/recorded/nvidia-smi/rtx2060-linux-460.91.03-csv-header-
 * units.txt) in the host's field order, noheader and nounits: name, memory.used, memory.total, utilization, temperature.
 */
export type StandInBehaviour = 'good' | 'hang' | 'hang-child' | 'garbage' | 'one-line' | 'stall' | 'stale';

export const GOOD_LINE = 'GeForce RTX 2060, 682, 5934, 20, 36';

const BEHAVIOUR: Record<StandInBehaviour, { once: string; loop: string }> = {
  good: { once: 'say "$good"; exit 0', loop: 'while :; do say "$good"; pause "$every"; done' },
  hang: { once: 'hang', loop: 'hang' },
  'hang-child': { once: 'hang_with_child', loop: 'hang_with_child' },
  garbage: {
    once: "say '-1,-2,-3,-4,-5'; exit 0",
    loop: 'while :; do say \'-1,-2,-3,-4,-5\'; pause "$every"; done',
  },
  'one-line': { once: 'say "$good"; exit 0', loop: 'say "$good"; exit 0' },
  stall: { once: 'say "$good"; exit 0', loop: 'for i in 1 2 3 4; do say "$good"; pause "$every"; done; hang' },
  stale: {
    once: 'say "$good"; exit 0',
    loop: 'if [ "$first" ]; then for i in 1 2 3 4; do say "$good"; pause "$every"; done; fi; hang',
  },
};

export interface StandIn {
  /** The script: BRAIN_IN_JAR_NVIDIA_SMI=path. */
  path: string;
  log: string;
  /** Each start, in order: its pid, and whether it was the monitor (-lms) or the query. */
  starts(): Array<{ at: number; pid: number; monitor: boolean }>;
  /** When each line was printed (epoch ms). */
  printed(): number[];
  /** Processes of this stand-in now alive (the scripts and their children, as their log names them). */
  processes(): number[];
  remove(): void;
}

/**
 * A stand-in that behaves as `query` when asked once and as `monitor` under -lms. `name`: the tool it stands in for
 * (its file's name); the broken behaviours serve any tool the host runs with a deadline (systemd-notify, systemctl).
 */
export function nvidiaSmiStandIn(
  query: StandInBehaviour,
  monitor: StandInBehaviour = query,
  name = 'nvidia-smi',
): StandIn {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-broken-smi-'));
  const script = path.join(dir, name);
  const log = path.join(dir, 'log');
  const fifo = path.join(dir, 'never');
  execFileSync('mkfifo', [fifo]);
  fs.writeFileSync(log, '');
  fs.writeFileSync(
    script,
    `#!/bin/bash
# A broken nvidia-smi for the tests: ${query} when queried once, ${monitor} under -lms. It forks nothing but the child
# it is told to start (waits are reads of a FIFO nobody writes), so every process naming it is one a test counts.
log=${JSON.stringify(log)}
good=${JSON.stringify(GOOD_LINE)}
exec 3<>${JSON.stringify(fifo)}
note() { local t=\${EPOCHREALTIME/./}; echo "$1 \${t:0:13}$2" >> "$log"; }
say() { echo "$1"; note line; }
pause() { read -r -t "$1" -u 3; }
hang() { trap '' TERM; while :; do pause 3600; done; }
hang_with_child() {
  trap '' TERM
  bash -c 'trap "" TERM; echo "child 0 $$" >> "$2"; exec 3<>"$1"; while :; do read -r -t 3600 -u 3; done' \\
    "$0-child" ${JSON.stringify(fifo)} "$log" &
  hang
}
lms=''
prev=''
for arg in "$@"; do
  if [ "$prev" = -lms ]; then lms=$arg; fi
  prev=$arg
done
if [ -z "$lms" ]; then
  note start " $$ query"
  ${BEHAVIOUR[query].once}
else
  printf -v every '%d.%03d' $((lms / 1000)) $((lms % 1000))
  first=yes
  if [[ $(<"$log") == *monitor* ]]; then first=''; fi
  note start " $$ monitor"
  ${BEHAVIOUR[monitor].loop}
fi
`,
  );
  fs.chmodSync(script, 0o755);
  const lines = () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return {
    path: script,
    log,
    starts: () =>
      lines()
        .filter((line) => line.startsWith('start '))
        .map((line) => {
          const [, at, pid, kind] = line.split(' ');
          return { at: Number(at), pid: Number(pid), monitor: kind === 'monitor' };
        }),
    printed: () =>
      lines()
        .filter((line) => line.startsWith('line '))
        .map((line) => Number(line.slice(5))),
    processes: () =>
      aliveNaming(
        new Set(
          lines()
            .filter((line) => line.startsWith('start ') || line.startsWith('child '))
            .map((line) => Number(line.split(' ')[2])),
        ),
        script,
      ),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Which of `pids` are alive (not zombies) and still name `text` in their command line. Only these are looked at: a
 * scan of all /proc would read the command line of every process on the machine, and that read waits for a process
 * whose memory is locked (one throttled by its cgroup, say) for as long as it is.
 */
function aliveNaming(pids: Iterable<number>, text: string): number[] {
  return [...pids].filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
    } catch {
      return false;
    }
  });
}

/** Children of `parent` whose command line contains `text` (the host's backend probes, say). */
export function childrenNaming(parent: number, text: string): number[] {
  let children: number[];
  try {
    children = fs
      .readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8')
      .split(' ')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return aliveNaming(children, text);
}
