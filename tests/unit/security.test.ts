import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import type { BrowserWindowConstructorOptions } from 'electron';

import { appFiles, openAppWindow, type WindowMaker } from '../../electron/appWindow.js';
import { isAppUrl } from '../../electron/security.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where tsconfig.build.json puts main.js, whose folder main.ts hands to appFiles. */
const builtMainDir = path.join(root, 'dist/electron');

type Listener = (...args: unknown[]) => unknown;

/** Electron, as far as a window touches it: every option, handler and listener it is given is kept to look at. */
function fakeElectron() {
  const seen = {
    options: [] as BrowserWindowConstructorOptions[],
    contents: new Map<string, Listener>(),
    windowOpen: null as Listener | null,
    permissionRequest: null as Listener | null,
    permissionCheck: null as Listener | null,
    loaded: [] as string[],
    shown: 0,
    readyToShow: null as Listener | null,
  };
  class FakeWindow {
    readonly webContents = {
      on: (event: string, listener: Listener) => seen.contents.set(event, listener),
      setWindowOpenHandler: (handler: Listener) => (seen.windowOpen = handler),
    };
    constructor(options: BrowserWindowConstructorOptions) {
      seen.options.push(options);
    }
    once(event: string, listener: Listener) {
      if (event === 'ready-to-show') seen.readyToShow = listener;
    }
    show() {
      seen.shown++;
    }
    loadFile(file: string, options?: { query?: Record<string, string> }) {
      seen.loaded.push(options?.query ? `${file}?${new URLSearchParams(options.query)}` : file);
      return Promise.resolve();
    }
  }
  const session = {
    defaultSession: {
      setPermissionRequestHandler: (handler: Listener) => (seen.permissionRequest = handler),
      setPermissionCheckHandler: (handler: Listener) => (seen.permissionCheck = handler),
    },
  };
  const electron = { BrowserWindow: FakeWindow, session } as unknown as WindowMaker;
  return { electron, seen };
}

/** Whether a navigation listener stopped the navigation to `url`. */
function prevents(listener: Listener | undefined, url: string): boolean {
  assert.ok(listener, 'a listener is set');
  let prevented = false;
  listener({ preventDefault: () => (prevented = true) }, url);
  return prevented;
}

describe('the window electron/main.ts opens', () => {
  const files = appFiles(builtMainDir);

  it('isolates the page: context isolation, sandbox, no Node, web security on, the built preload', () => {
    const { electron, seen } = fakeElectron();
    openAppWindow(electron, files, false);
    assert.equal(seen.options.length, 1);
    const prefs = seen.options[0]!.webPreferences!;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.notEqual(prefs.webSecurity, false);
    assert.notEqual(prefs.allowRunningInsecureContent, true);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.preload, path.join(root, 'dist/electron/preload.cjs'));
    assert.match(
      fs.readFileSync(path.join(root, 'scripts/build.mjs'), 'utf8'),
      /outfile: path\.join\(root, 'dist\/electron\/preload\.cjs'\)/,
      'the build writes the preload where the window looks for it',
    );
  });

  it('shows the built page once it is ready, fullscreen only in kiosk mode', () => {
    const { electron, seen } = fakeElectron();
    openAppWindow(electron, files, false);
    assert.deepEqual(seen.loaded, [path.join(root, 'dist/renderer/index.html')]);
    assert.equal(seen.shown, 0, 'not before it is ready (no white flash)');
    seen.readyToShow!();
    assert.equal(seen.shown, 1);
    assert.equal(seen.options[0]!.minWidth, 1280);
    assert.equal(seen.options[0]!.minHeight, 720);
    assert.equal(seen.options[0]!.kiosk, false);
    assert.equal(seen.options[0]!.fullscreen, false);
    const kiosk = fakeElectron();
    openAppWindow(kiosk.electron, files, true);
    assert.equal(kiosk.seen.options[0]!.kiosk, true);
    assert.equal(kiosk.seen.options[0]!.fullscreen, true);
    assert.deepEqual(kiosk.seen.loaded, [`${path.join(root, 'dist/renderer/index.html')}?kiosk=1`], 'the page knows');
  });

  it('stays on the app page: navigation and redirects away are stopped, new windows and webviews refused', () => {
    const { electron, seen } = fakeElectron();
    openAppWindow(electron, files, false);
    for (const event of ['will-navigate', 'will-redirect']) {
      assert.equal(prevents(seen.contents.get(event), 'https://example.com/'), true, `${event} to the web`);
      assert.equal(prevents(seen.contents.get(event), 'file:///etc/passwd'), true, `${event} to another file`);
      assert.equal(prevents(seen.contents.get(event), `${files.appUrl}#events`), false, `${event} within the app`);
    }
    assert.deepEqual(seen.windowOpen!({ url: 'https://example.com/' }), { action: 'deny' });
    assert.equal(prevents(seen.contents.get('will-attach-webview'), ''), true);
  });

  it('grants no permission, asked or checked', () => {
    const { electron, seen } = fakeElectron();
    openAppWindow(electron, files, false);
    const answers: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      seen.permissionRequest!(null, permission, (granted: boolean) => answers.push(granted), {});
      answers.push(seen.permissionCheck!(null, permission, files.appUrl, {}) as boolean);
    }
    assert.deepEqual(answers, Array(8).fill(false));
  });
});

describe('Electron window security', () => {
  it("trusts only the app's own page", () => {
    const app = 'file:///opt/brain/resources/app.asar/dist/renderer/index.html';
    assert.equal(isAppUrl(app, app), true);
    assert.equal(isAppUrl(`${app}#events`, app), true);
    assert.equal(isAppUrl('file:///etc/passwd', app), false);
    assert.equal(isAppUrl('https://example.com/', app), false);
    assert.equal(isAppUrl(undefined, app), false);
    assert.equal(isAppUrl('not a url', app), false);
  });
});
