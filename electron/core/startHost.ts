import { crossFieldProblem } from '../../shared/settings.js';
import type { Flags } from './cli/args.js';
import { Host } from './host.js';
import { dataDirOf, dataDirProblem, DataDirProblem } from './store/dataDir.js';
import { findRendererDir, WebServer } from './web/webServer.js';

export interface RunningHost {
  host: Host;
  web: WebServer;
  url: string;
  stop(): Promise<void>;
}

/** Friendly words for errors the operator can fix; `exitCode` 2 where the fix is in the command line or the data folder. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/**
 * Creates the host and its web view, announces `host.ready`, and starts the instances. Shared by the Electron shell
 * and the headless entry point, so both behave the same.
 */
export async function startHost(flags: Flags, beforeRun?: (host: Host) => void): Promise<RunningHost> {
  let host: Host;
  try {
    host = await Host.create(flags);
  } catch (error) {
    // A data folder that cannot be used (a file in its place, read-only, full when the demo model is made).
    const problem = error instanceof DataDirProblem ? error.message : dataDirProblem(error, dataDirOf(flags));
    if (problem !== null) throw new StartupError(problem, 2);
    throw error;
  }
  const problem = crossFieldProblem(host.settings);
  if (problem) {
    await host.shutdown();
    throw new StartupError(problem.message);
  }
  beforeRun?.(host);
  const web = new WebServer({
    host: flags.webHost,
    port: flags.webPort,
    api: host.api,
    snapshot: () => host.snapshot(),
    subscribe: (listener) => host.subscribe(listener),
    log: host.log,
    rendererDir: findRendererDir(),
  });
  let url: string;
  try {
    url = await web.listen();
  } catch (error) {
    await host.shutdown();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `port ${flags.webPort} on ${flags.webHost} is in use (another Brain in a Jar?); ` +
          'choose another with --web-port (0 = any free port)',
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new StartupError(`cannot serve on ${flags.webHost}: no such address on this machine (--web-host)`);
    }
    throw error;
  }
  host.emit({ type: 'host.ready', url, sessionId: host.store.sessionId, dataDir: host.dataDir });
  await host.run();
  return {
    host,
    web,
    url,
    async stop() {
      await host.shutdown();
      await web.close();
    },
  };
}
