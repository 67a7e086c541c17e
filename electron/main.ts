/**
 * The Electron shell, and only that: app lifecycle, the window, and binding the host's api table to IPC. Everything
 * else is the host (electron/core), which runs the same way headless.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { app, BrowserWindow, dialog, ipcMain, powerSaveBlocker, session, type WebContents } from 'electron';

import { IPC_CHANNELS, type ServerPush } from '../shared/api.js';
import { flagNames, parseArgs } from './core/cli/args.js';
import { splitElectronArgv } from './core/cli/electronArgv.js';
import { entryRoute } from './core/cli/entryRoute.js';
import { startHost, StartupError, type RunningHost } from './core/startHost.js';
import { defaultDataDir } from './core/store/dataDir.js';
import { reportStartupFailure } from './core/startupFailure.js';
import { appFiles, openAppWindow } from './appWindow.js';
import { runHeadless } from './headless.js';
import { isAppUrl } from './security.js';

const files = appFiles(path.dirname(fileURLToPath(import.meta.url)));
const appUrl = files.appUrl;

// Packaged, argv is [app, ...flags]; in development it is [electron, main.js, ...flags]. Chromium's and Electron's
// own switches (--no-sandbox from the AppImage's AppRun, --disable-gpu, ...) are the runtime's, not ours.
const argv = splitElectronArgv(process.argv.slice(app.isPackaged ? 1 : 2), flagNames());
const parsed = parseArgs(argv.ours);

/**
 * Ends the process as Node would. Electron's process.exit is app.exit, which this early lets Chromium go on
 * starting; with no display that start fails, and its exit code would replace the command's.
 */
function exitNow(code: number): never {
  process.exitCode = code;
  process.emit('exit', code);
  (process as unknown as { reallyExit?: (code: number) => void }).reallyExit?.(code);
  return process.exit(code);
}

if (entryRoute(argv.ours, parsed) === 'cli') {
  // Awaited at the top level on purpose: Electron runs an ES module entry to its end before it starts Chromium, so
  // a command, and the host run as a service (`run --headless`), never need a display.
  exitNow(await runHeadless(argv.ours));
}

if (!parsed.ok) {
  // No data folder is known yet (the flags did not parse): stderr and the display.
  reportStartupFailure(parsed.message, { dataDir: null, show: (title, text) => dialog.showErrorBox(title, text) });
  app.exit(2);
} else if (parsed.command === 'run') {
  const { flags } = parsed;
  // One data folder for the app, the headless host and the service (set before the app is ready): Electron's own
  // files go there too, rather than into a second folder named after the package.
  app.setPath('userData', path.resolve(flags.dataDir ?? defaultDataDir()));
  let running: RunningHost | null = null;

  /** IPC is answered only for the app's own top frame. */
  const trusted = (frameUrl: string | undefined) => isAppUrl(frameUrl, appUrl);

  function bindIpc(host: RunningHost['host']): void {
    ipcMain.handle(IPC_CHANNELS.call, async (event, method: unknown, params: unknown) => {
      if (!trusted(event.senderFrame?.url) || event.senderFrame?.parent) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'not the app window' } };
      }
      return host.api.call(method, params);
    });
    // The model file dialog: the page gets a path back, which the host then checks like any other.
    ipcMain.handle(IPC_CHANNELS.chooseModel, async (event) => {
      if (!trusted(event.senderFrame?.url)) return null;
      const window = BrowserWindow.fromWebContents(event.sender);
      const options = {
        title: 'Choose a GGUF model',
        properties: ['openFile' as const],
        filters: [{ name: 'GGUF models', extensions: ['gguf'] }],
      };
      const chosen = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    });
    const subscribed = new Set<WebContents>();
    ipcMain.on(IPC_CHANNELS.subscribe, (event) => {
      if (!trusted(event.senderFrame?.url)) return;
      const contents = event.sender;
      const push = (message: ServerPush) => {
        if (!contents.isDestroyed()) contents.send(IPC_CHANNELS.push, message);
      };
      push({ kind: 'snapshot', snapshot: host.snapshot() });
      if (subscribed.has(contents)) return;
      subscribed.add(contents);
      const unsubscribe = host.subscribe((hostEvent) => push({ kind: 'event', event: hostEvent }));
      contents.once('destroyed', () => {
        unsubscribe();
        subscribed.delete(contents);
      });
    });
  }

  const createWindow = () => openAppWindow({ BrowserWindow, session }, files, flags.kiosk);

  void app.whenReady().then(async () => {
    try {
      running = await startHost(flags);
    } catch (error) {
      const message = error instanceof StartupError ? error.message : ((error as Error).stack ?? String(error));
      reportStartupFailure(message, {
        dataDir: app.getPath('userData'),
        show: (title, text) => dialog.showErrorBox(title, text),
      });
      app.exit(error instanceof StartupError ? error.exitCode : 1);
      return;
    }
    bindIpc(running.host);
    createWindow();
    // The board's display must not blank while the experiment runs in front of it.
    if (flags.kiosk) powerSaveBlocker.start('prevent-display-sleep');
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting || !running) return;
    // Stop the instances gracefully (their last words written) before the process goes.
    event.preventDefault();
    quitting = true;
    void running.stop().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
}
