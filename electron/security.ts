import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

/**
 * The only way windows are made: context isolation, the sandbox, no Node in the page, no remote content features.
 * A unit test checks these values, so a change here is a deliberate one.
 */
export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  };
}

export function mainWindowOptions(preloadPath: string, kiosk: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1920,
    height: 1080,
    minWidth: 1280,
    minHeight: 720,
    backgroundColor: '#0b0c0e',
    title: 'Brain in a Jar',
    show: false,
    kiosk,
    fullscreen: kiosk,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(preloadPath),
  };
}

/** True when a navigation or IPC message comes from the app's own page and nothing else. */
export function isAppUrl(url: string | undefined, appUrl: string): boolean {
  if (!url) return false;
  try {
    const given = new URL(url);
    const own = new URL(appUrl);
    return given.protocol === own.protocol && given.host === own.host && given.pathname === own.pathname;
  } catch {
    return false;
  }
}

/** What an IPC event says of its sender: the frame that sent it, and the contents that frame is in. */
export interface IpcSender {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
  readonly sender: { readonly mainFrame: unknown };
}

/**
 * True when an IPC message comes from the app's page in the window's top frame: not from a frame inside it (were
 * one ever loaded), not from a frame gone since (null), not from another page.
 */
export function isAppFrame(event: IpcSender, appUrl: string): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame === event.sender.mainFrame && frame.parent === null && isAppUrl(frame.url, appUrl);
}
