import type { Flags } from './cli/args.js';
import { budgetFlagRefusal, modelFlagRefusal, ruleFlagRefusal } from './cli/flagRefusal.js';
import { Host } from './host.js';
import { lastResort } from './lastResort.js';
import { panelAlreadyServed } from './startupFailure.js';
import { dataDirOf, dataDirProblem, DataDirProblem } from './store/dataDir.js';
import { PanelService } from './web/panelService.js';
import { findRendererDir, WebServer } from './web/webServer.js';

export interface RunningHost {
  host: Host;
  web: WebServer;
  url: string;
  stop(): Promise<void>;
}

/**
 * Friendly words for errors the operator can fix: exit code 2 where the command line itself cannot run (a flag
 * names a bad file, flags that contradict each other, a data folder it cannot use), 1 where this machine is in the
 * way (a port in use).
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/**
 * Creates the host and its web view, announces `host.ready`, and starts the instances. Shared by the Electron shell
 * and the headless entry point, so both behave the same.
 */
export async function startHost(flags: Flags, beforeRun?: (host: Host) => void): Promise<RunningHost> {
  // First of all: from here on nothing a request, a socket or a child process raises ends the process.
  lastResort.install();
  // A file a flag names is refused before the data folder is touched; limits need the saved settings and the board.
  const badModel = modelFlagRefusal(flags);
  if (badModel) throw new StartupError(badModel.message, 2);
  let host: Host;
  try {
    host = await Host.create(flags);
  } catch (error) {
    // A data folder that cannot be used (a file in its place, read-only, full when the demo model is made).
    const problem = error instanceof DataDirProblem ? error.message : dataDirProblem(error, dataDirOf(flags));
    if (problem !== null) throw new StartupError(problem, 2);
    throw error;
  }
  const refusal =
    ruleFlagRefusal(flags, host.settings) ?? budgetFlagRefusal(flags, host.settings, host.snapshot().resources);
  if (refusal) {
    await host.shutdown();
    throw new StartupError(refusal.message, 2);
  }
  lastResort.attach(host.log);
  beforeRun?.(host);
  const panel = new PanelService(host, flags);
  const web = new WebServer({
    token: panel.currentToken,
    exportOf: (session, file) => panel.exportOf(session, file),
    host: flags.webHost,
    port: flags.webPort,
    api: host.api,
    snapshot: () => host.snapshot(),
    subscribe: (listener) => host.subscribe(listener),
    log: host.log,
    rendererDir: findRendererDir(),
    onCaught: (what, error) => lastResort.note('web', what, error),
  });
  panel.bind(web);
  let url: string;
  try {
    url = await web.listen();
  } catch (error) {
    await host.shutdown();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      if (await panelAlreadyServed(flags.webHost, flags.webPort)) {
        throw new StartupError(
          `another Brain in a Jar host (the service?) already serves the panel on http://${flags.webHost}:${flags.webPort}/: ` +
            'open it there (its address with the token is in its log), or stop it first ' +
            '(systemctl --user stop brain-in-jar), or choose another port with --web-port',
        );
      }
      throw new StartupError(
        `port ${flags.webPort} on ${flags.webHost} is in use by another program; ` +
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
