import type {
  BrowserWindow as BrowserWindowClass,
  dialog as electronDialog,
  ipcMain as electronIpcMain,
  WebContents,
} from 'electron';

import { IPC_CHANNELS, type HostSnapshot, type ServerPush } from '../shared/api.js';
import type { Api } from './core/api.js';
import type { EventListener } from './core/host.js';
import { isAppFrame } from './security.js';

/** The parts of Electron IPC is bound with, passed in (as for the window) so that the tests can hand in fakes. */
export interface IpcMaker {
  ipcMain: Pick<typeof electronIpcMain, 'handle' | 'on'>;
  dialog: Pick<typeof electronDialog, 'showOpenDialog'>;
  BrowserWindow: Pick<typeof BrowserWindowClass, 'fromWebContents'>;
}

/** What IPC needs of the host. */
export interface IpcHost {
  api: Api;
  snapshot(): HostSnapshot;
  subscribe(listener: EventListener): () => void;
}

/**
 * Binds the api table, the subscription and the model dialog to IPC. Every handler answers only the app's own page
 * in the window's top frame (isAppFrame); anything else gets UNAUTHORIZED, null or nothing.
 */
export function bindIpc({ ipcMain, dialog, BrowserWindow }: IpcMaker, host: IpcHost, appUrl: string): void {
  ipcMain.handle(IPC_CHANNELS.call, async (event, method: unknown, params: unknown) => {
    if (!isAppFrame(event, appUrl)) {
      return { ok: false, error: { code: 'UNAUTHORIZED', message: 'not the app window' } };
    }
    return host.api.call(method, params);
  });
  // The model file dialog: the page gets a path back, which the host then checks like any other.
  ipcMain.handle(IPC_CHANNELS.chooseModel, async (event) => {
    if (!isAppFrame(event, appUrl)) return null;
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
    if (!isAppFrame(event, appUrl)) return;
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
