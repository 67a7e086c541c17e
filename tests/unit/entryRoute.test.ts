import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { flagNames } from '../../electron/core/cli/args.js';
import { splitElectronArgv } from '../../electron/core/cli/electronArgv.js';
import { entryRoute } from '../../electron/core/cli/entryRoute.js';

/** The packaged entry's argv after the executable, as the AppImage's AppRun passes it. */
const route = (argv: string[]) => entryRoute(splitElectronArgv(argv, flagNames()).ours);

describe("the Electron entry's route: the AppImage is the whole product", () => {
  it('runs every command of the command line in this process, before any window', () => {
    for (const command of ['doctor', 'plan', 'service', 'self-test']) {
      assert.equal(route(['--no-sandbox', command]), 'cli', command);
    }
    assert.equal(route(['doctor', '--json']), 'cli');
    assert.equal(route(['service', '--install', '--mode', 'matrix']), 'cli');
    assert.equal(route(['self-test', '--minutes', '1', '--json']), 'cli');
  });

  it('runs the host without a window for run --headless (the service) and prints --help', () => {
    assert.equal(route(['--no-sandbox', 'run', '--headless', '--data-dir', '/var/lib/jar']), 'cli');
    assert.equal(route(['--headless']), 'cli');
    assert.equal(route(['--help']), 'cli');
    assert.equal(route(['doctor', '--help']), 'cli');
  });

  it('opens the window for a run, with or without flags and Chromium switches', () => {
    assert.equal(route([]), 'window');
    assert.equal(route(['--no-sandbox', '--kiosk', '--mode', 'matrix', '--ozone-platform=wayland']), 'window');
    assert.equal(route(['run', '--model', '/models/m.gguf']), 'window');
  });

  it('sends a refused command line to the terminal when it names a command or --headless, else to the window', () => {
    // Typed at a terminal, or written in a unit: the error goes to stderr with exit 2.
    assert.equal(route(['doctor', '--bogus']), 'cli');
    assert.equal(route(['run', '--headless', '--ram-threshold', '150']), 'cli');
    assert.equal(route(['--headless=yes']), 'cli');
    // Started from the .desktop file: the window's start-up path shows it on the display.
    assert.equal(route(['--kiosk', '--ram-threshold', '150']), 'window');
    assert.equal(route(['--mdoe', 'matrix']), 'window');
  });
});
