/**
 * Parsers for the cgroup files the enforcement reads: where this process sits (/proc/self/cgroup), and how many
 * times the kernel's OOM killer acted in a group (v2 memory.events, v1 memory.oom_control). Tested on real files.
 */

export interface OwnCgroups {
  /** The v1 memory controller's path of this process, e.g. "/process_api/abc", when v1 memory is mounted. */
  v1Memory: string | null;
  /** The v2 (unified) path of this process, e.g. "/user.slice/user-1000.slice/session-2.scope". */
  v2: string | null;
}

export function parseProcCgroup(text: string): OwnCgroups {
  let v1Memory: string | null = null;
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match;
    if (id === '0' && controllers === '') v2 = path!;
    else if (controllers!.split(',').includes('memory')) v1Memory = path!;
  }
  return { v1Memory, v2 };
}

/** The oom_kill counter of a v2 memory.events or a v1 memory.oom_control file (0 when the kernel has none). */
export function parseOomKills(text: string): number {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

/** The `high` counter of a v2 memory.events file: how many times the group was throttled at its memory.high. */
export function parseHighEvents(text: string): number {
  const match = /^high (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}
