import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { BrowserWindow as BrowserWindowClass, session as electronSession } from 'electron';

import { isAppUrl, mainWindowOptions } from './security.js';

/** The app's page and preload, found from the folder main.js is built into (dist/electron, beside dist/renderer). */
export interface AppFiles {
  preload: string;
  rendererIndex: string;
  /** The page's file: URL, the only address the window may show and the only frame IPC answers. */
  appUrl: string;
}

export function appFiles(mainDir: string): AppFiles {
  const rendererIndex = path.resolve(mainDir, '../renderer/index.html');
  return { preload: path.join(mainDir, 'preload.cjs'), rendererIndex, appUrl: pathToFileURL(rendererIndex).href };
}

/**
 * The parts of Electron a window is made with, passed in rather than imported: the Electron runtime cannot run in the
 * tests, so they hand in fakes and check what the window really gets.
 */
export interface WindowMaker {
  BrowserWindow: typeof BrowserWindowClass;
  session: Pick<typeof electronSession, 'defaultSession'>;
}

/**
 * The app's window, locked down: the secure preferences, no permission ever granted, no navigation or redirect away
 * from the app's page, no new windows and no webviews. Those refusals leave this window's contents the only web
 * contents the app ever has.
 */
export function openAppWindow({ BrowserWindow, session }: WindowMaker, files: AppFiles, kiosk: boolean): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  const window = new BrowserWindow(mainWindowOptions(files.preload, kiosk));
  const contents = window.webContents;
  const stayHome = (event: { preventDefault(): void }, url: string) => {
    if (!isAppUrl(url, files.appUrl)) event.preventDefault();
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  // In kiosk mode the page hides an idle cursor (renderer/kioskCursor.ts).
  void window.loadFile(files.rendererIndex, kiosk ? { query: { kiosk: '1' } } : undefined);
}
