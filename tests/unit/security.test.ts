import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isAppUrl, mainWindowOptions, secureWebPreferences } from '../../electron/security.js';

describe('Electron window security', () => {
  it('isolates the page: context isolation, sandbox, no Node, no webviews', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.nodeIntegrationInWorker, false);
    assert.equal(prefs.nodeIntegrationInSubFrames, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.allowRunningInsecureContent, false);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.preload, '/app/preload.cjs');
  });

  it('builds every window with those preferences, fullscreen only in kiosk mode', () => {
    const normal = mainWindowOptions('/p', false);
    assert.deepEqual(normal.webPreferences, secureWebPreferences('/p'));
    assert.equal(normal.kiosk, false);
    assert.equal(mainWindowOptions('/p', true).kiosk, true);
    assert.equal(normal.minWidth, 1280);
    assert.equal(normal.minHeight, 720);
  });

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
