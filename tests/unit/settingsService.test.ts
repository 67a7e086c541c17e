import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { ApiFailure } from '../../electron/core/api.js';
import { parseArgs } from '../../electron/core/cli/args.js';
import { flagsToSettingsPatch, givenFlags } from '../../electron/core/cli/settingFlags.js';
import type { Logger } from '../../electron/core/logger.js';
import { SettingsService } from '../../electron/core/settingsService.js';
import { SettingsStore } from '../../electron/core/store/settingsStore.js';
import type { PlanOutcome } from '../../shared/plan.js';
import type { Settings } from '../../shared/settings.js';

const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** A budget of 10 GB with the default reserve, 20 GB with any reserve set: enough to tell the two apart. */
function fakePlan(settings: Settings): PlanOutcome {
  const total = Object.values(settings.ramLimitsGb).reduce((sum, gb) => sum + (gb ?? 0), 0);
  const budget = settings.reserveGb === null ? 10 : 20;
  if (total <= budget) return { ok: true } as unknown as PlanOutcome;
  return {
    ok: false,
    resources: {} as never,
    error: {
      code: 'BUDGET_EXCEEDED',
      message: `RAM limits total ${total} GB, at most ${budget} GB`,
      field: 'ramLimits',
    },
  };
}

/** A service over a fresh settings.json (with `saved` in it, if given) and the command line `argv`. */
function service(argv: string[], saved?: object) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-service-'));
  const file = path.join(dir, 'settings.json');
  if (saved) fs.writeFileSync(file, JSON.stringify(saved));
  const parsed = parseArgs(argv, dir);
  assert.ok(parsed.ok && parsed.command === 'run');
  const flags = parsed.flags;
  const settings = new SettingsService({
    file,
    overrides: flagsToSettingsPatch(flags),
    flagsOf: (keys) => givenFlags(flags, keys),
    planFor: fakePlan,
    emit: () => {},
    log: quiet,
  });
  return { settings, file };
}

function refusal(run: () => unknown): ApiFailure {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ApiFailure, String(error));
    return error;
  }
  assert.fail('accepted');
}

describe('a settings change is checked as it applies now and as it will be saved', () => {
  it('refuses a RAM threshold that passes beside --warn-threshold 50 but not beside the saved warn level', async () => {
    const { settings, file } = service(['--warn-threshold', '50']);
    const error = refusal(() => settings.apply({ ramThreshold: 60 }));
    assert.equal(error.code, 'INVALID_PARAMS');
    assert.equal(error.field, 'ramThreshold', 'named where the operator typed');
    assert.equal(
      error.message,
      'as saved in settings.json, Warn level must be below the RAM threshold and the GPU threshold (70% is not below 60%): ' +
        "--warn-threshold holds for this run only, and the next start without it would read the file's own values; " +
        'set the Warn level as well',
    );
    assert.equal(fs.existsSync(file), false, 'nothing was saved');
    assert.equal(settings.current.ramThreshold, 90, 'nothing changed');

    // With the warn level too, it is saved, and a start without the flag reads it.
    assert.deepEqual(await settings.apply({ ramThreshold: 60, warnThreshold: 50 }), ['ramThreshold', 'warnThreshold']);
    const next = new SettingsStore(file);
    assert.equal(next.notice, null);
    assert.equal(next.settings.ramThreshold, 60);
    assert.equal(next.settings.warnThreshold, 50);
  });

  it('accepts a change the saved file holds on its own, and one the flag no longer hides', async () => {
    const { settings, file } = service(['--warn-threshold', '50']);
    assert.deepEqual(await settings.apply({ ramThreshold: 80 }), ['ramThreshold']);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).ramThreshold, 80);
    assert.equal(settings.current.warnThreshold, 50, 'the flag still holds for this run');
    await settings.apply({ warnThreshold: 55 });
    // The flag is replaced: the file's own values are the ones in force, so 60 is checked against 55 alone.
    assert.deepEqual(await settings.apply({ ramThreshold: 60 }), ['ramThreshold']);
  });

  it('refuses limits that fit beside --reserve but would be over the board as saved, naming the flag', () => {
    const { settings } = service(['--reserve', '3']);
    const error = refusal(() => settings.apply({ ramLimitsGb: { SUBJECT: 15 } }));
    assert.equal(error.code, 'BUDGET_EXCEEDED');
    assert.match(error.message, /^as saved in settings\.json, RAM limits total 15 GB, at most 10 GB: --reserve holds/);
    assert.match(error.message, /change those settings as well$/);
  });

  it('checks nothing twice where no flag is in force', async () => {
    const { settings } = service([]);
    const error = refusal(() => settings.apply({ warnThreshold: 95 }));
    assert.equal(
      error.message,
      'Warn level must be below the RAM threshold and the GPU threshold (95% is not below 85%)',
    );
    assert.deepEqual(await settings.apply({ ramLimitsGb: { SUBJECT: 5 } }), ['ramLimitsGb']);
  });
});
