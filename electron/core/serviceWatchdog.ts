import { ToolQuery, type ToolOutcome } from './toolQuery.js';

/**
 * systemd's watchdog for the service: the unit sets WatchdogSec, systemd passes WATCHDOG_USEC, and a host that stops
 * pinging (wedged, its event loop stuck, its memory watchdog no longer sampling) is killed and restarted by systemd.
 * The ping says more than "the process is alive": it is sent only while the memory watchdog's last sample is recent.
 * Node cannot write to a unix datagram socket by itself, so each ping is one run of `systemd-notify` (the unit sets
 * NotifyAccess=all so a child may speak for the service), with a deadline; a lost ping is covered by the next ones.
 */

/** How often to ping, ms: half of what systemd asked, or null when no watchdog is asked of this process. */
export function pingIntervalMs(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  if (!env.NOTIFY_SOCKET || !env.WATCHDOG_USEC) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  return Math.max(500, Math.floor(usec / 1000 / 2));
}

export interface ServiceWatchdogOptions {
  intervalMs: number;
  /** True while the host does its job (the memory watchdog sampled recently). */
  healthy: () => boolean;
  /** Sends one notification to systemd. */
  notify?: (state: string) => Promise<unknown>;
}

/** A notification that takes this long is stuck (systemd busy, a wedged bus): it is killed with its process group. */
export const NOTIFY_DEADLINE_MS = 5000;

/**
 * One run of systemd-notify, in a process group of its own that is killed at the deadline (whatever it started goes
 * with it); one that cannot be killed is abandoned, and no new one starts while it is there (toolProcess.ts).
 * Resolves with what happened, never rejects.
 */
export function systemdNotify(
  state: string,
  options: { command?: string; deadlineMs?: number } = {},
): Promise<ToolOutcome> {
  const { command = 'systemd-notify', deadlineMs = NOTIFY_DEADLINE_MS } = options;
  return new ToolQuery({ command: () => command, args: [state], deadlineMs }).run();
}

export class ServiceWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;
  pings = 0;

  constructor(private readonly options: ServiceWatchdogOptions) {}

  start(): void {
    const notify = this.options.notify ?? systemdNotify;
    this.timer = setInterval(() => {
      // One ping at a time: a stuck systemd-notify is never multiplied.
      if (this.inFlight || !this.options.healthy()) return;
      this.inFlight = true;
      this.pings++;
      void notify('WATCHDOG=1').finally(() => {
        this.inFlight = false;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
