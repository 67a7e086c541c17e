import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { flagNames, parseArgs } from '../../electron/core/cli/args.js';
import { splitElectronArgv } from '../../electron/core/cli/electronArgv.js';

const own = flagNames();
const parseEntry = (argv: string[]) => parseArgs(splitElectronArgv(argv, own).ours);

describe("the Electron entry's command line", () => {
  it("leaves Chromium's and Electron's switches to the runtime, as the AppImage's AppRun and operators pass them", () => {
    const argv = [
      '--no-sandbox',
      '--kiosk',
      '--disable-gpu',
      '--enable-features=UseOzonePlatform,WaylandWindowDecorations',
      '--ozone-platform=wayland',
      '--mode',
      'matrix',
      '--disable-dev-shm-usage',
    ];
    const { ours, runtime } = splitElectronArgv(argv, own);
    assert.deepEqual(ours, ['--kiosk', '--mode', 'matrix']);
    assert.deepEqual(runtime, [
      '--no-sandbox',
      '--disable-gpu',
      '--enable-features=UseOzonePlatform,WaylandWindowDecorations',
      '--ozone-platform=wayland',
      '--disable-dev-shm-usage',
    ]);
    const parsed = parseEntry(argv);
    assert.ok(parsed.ok && parsed.command === 'run');
    assert.ok(parsed.ok && parsed.command === 'run' && parsed.flags.kiosk && parsed.flags.mode === 'matrix');
  });

  it('keeps our own flags that look like a runtime switch (--no-autostart) ours', () => {
    const parsed = parseEntry(['--no-sandbox', '--no-autostart']);
    assert.ok(parsed.ok && parsed.command === 'run' && parsed.flags.autostart === false);
  });

  it('still refuses a bad value of our own flags, and an unknown flag, naming it', () => {
    const bad = parseEntry(['--no-sandbox', '--ram-threshold', '150']);
    assert.ok(!bad.ok);
    assert.match(bad.message, /--ram-threshold/);
    const unknown = parseEntry(['--no-sandbox', '--mdoe', 'matrix']);
    assert.ok(!unknown.ok);
    assert.match(unknown.message, /--mdoe/);
  });
});
