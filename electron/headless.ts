/**
 * The host without Electron: `npm run headless -- [flags]` and the `brain-in-jar` bin. Serves the panel on a local
 * port; with --json-events, prints every event as one JSON object per line on stdout. Also runs the `doctor`, `plan`,
 * `service` and `self-test` commands; the Electron entry runs all of this too (entryRoute.ts).
 */
import { pathToFileURL } from 'node:url';

import type { HostEvent } from '../shared/events.js';
import { parseArgs, usage } from './core/cli/args.js';
import { doctor, planCommand, serviceCommand } from './core/cli/commands.js';
import { selfTest } from './core/cli/selfTest.js';
import { LineWriter } from './core/lineWriter.js';
import { formatLogLine } from './core/logger.js';
import { startHost, StartupError, type RunningHost } from './core/startHost.js';
import { pingIntervalMs, ServiceWatchdog } from './core/serviceWatchdog.js';
import { reportStartupFailure } from './core/startupFailure.js';
import { defaultDataDir } from './core/store/dataDir.js';
import { installTestHooks } from './core/testHooks.js';

/** What a person reading the terminal wants to see of the events. */
function humanLine(event: HostEvent): string | null {
  switch (event.type) {
    case 'log':
      return formatLogLine(event);
    case 'host.ready':
      return `Brain in a Jar panel: ${event.url}`;
    default:
      return null;
  }
}

/** How long the last lines may take to reach a reader at exit: one that has stopped reading must not hold it. */
const STDOUT_FLUSH_MS = 2000;

/** Stdout for a running host: never blocking the watchdog's loop behind a slow reader (lineWriter.ts). */
function terminalWriter(jsonEvents: boolean): LineWriter {
  return new LineWriter({
    fd: 1,
    maxQueuedBytes: 1024 * 1024,
    droppedLine: (count) => {
      const message = `${count} lines of output dropped: the reader of stdout was too slow`;
      return jsonEvents
        ? JSON.stringify({ type: 'log', level: 'warn', source: 'host', message, at: Date.now() })
        : formatLogLine({ type: 'log', level: 'warn', source: 'host', message });
    },
  });
}

export async function runHeadless(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`brain-in-jar: ${parsed.message}\nRun brain-in-jar --help to see the flags.\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${usage(parsed.topic)}\n`);
    return 0;
  }
  const { flags } = parsed;
  if (parsed.command !== 'run') {
    const commands = {
      doctor,
      plan: planCommand,
      service: serviceCommand,
      'self-test': (given: typeof flags) => selfTest(given, argv),
    };
    const output = await commands[parsed.command](flags);
    (output.exitCode === 0 || flags.json ? process.stdout : process.stderr).write(`${output.text}\n`);
    return output.exitCode;
  }
  const out = terminalWriter(flags.jsonEvents);
  let running: RunningHost;
  try {
    running = await startHost(flags, (host) => {
      host.subscribe((event) => {
        const line = flags.jsonEvents ? JSON.stringify(event) : humanLine(event);
        if (line !== null) out.line(line);
      });
      // The watchdog's own lines, as the original printed them; with --json-events its events say the same.
      if (!flags.jsonEvents) host.onWatchdogLine((line) => out.line(line));
    });
  } catch (error) {
    const message = error instanceof StartupError ? error.message : ((error as Error).stack ?? String(error));
    const exitCode = error instanceof StartupError ? error.exitCode : 1;
    // A command line that cannot run (exit 2) is answered on the terminal and touches nothing; what stands in the
    // way of a start (a port, the folder) is kept in logs/startup.log too, for a service whose stderr nobody reads.
    reportStartupFailure(message, { dataDir: exitCode === 2 ? null : (flags.dataDir ?? defaultDataDir()) });
    await out.flush(STDOUT_FLUSH_MS);
    return exitCode;
  }

  // Under systemd with WatchdogSec: pinged while the memory watchdog samples (at most 3 base intervals + 5 s old).
  const pingEvery = pingIntervalMs(process.env);
  const serviceWatchdog =
    pingEvery === null
      ? null
      : new ServiceWatchdog({
          intervalMs: pingEvery,
          healthy: () => {
            const last = running.host.lastSampleAt;
            return last !== null && Date.now() - last < running.host.settings.intervalS * 3000 + 5000;
          },
        });
  serviceWatchdog?.start();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second Ctrl-C: the operator does not want to wait for the graceful stop.
        process.exit(130);
      }
      stopping = true;
      serviceWatchdog?.stop();
      running.host.log.info('host', `${signal}: stopping the instances`);
      void running
        .stop()
        .then(() => out.flush(STDOUT_FLUSH_MS))
        .then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    installTestHooks();
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runHeadless(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`brain-in-jar: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
