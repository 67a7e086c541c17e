import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseArgs, usage } from '../../electron/core/cli/args.js';
import { flagsToSettingsPatch } from '../../electron/core/cli/settingFlags.js';
import * as s from '../../shared/schema.js';
import {
  defaultSettings,
  SETTING_LABELS,
  settingApplies,
  settingLabels,
  SETTINGS_PATCH,
  settingsPatchSchema,
} from '../../shared/settings.js';
import { roleSetting, setting, SETTINGS_TABLE } from '../../shared/settingsTable.js';

/**
 * Every setting is declared once, in the settings table: a row added there is a flag the CLI reads and checks, a
 * field the api accepts, a line of --help and a label in the panel, with nothing else written.
 */
describe('the settings table', () => {
  it('gives a new setting its flag, its api field, its --help line and its panel label', () => {
    const table = {
      ...SETTINGS_TABLE,
      fanSpeed: setting(s.number({ min: 0, max: 100, unit: '%' }), {
        default: 50,
        label: 'Fan speed',
        help: 'how fast the fan spins',
        applies: 'live',
        flag: { key: 'fanSpeed', name: '--fan-speed', placeholder: 'PCT', commands: ['run'] },
      }),
    };

    const parsed = parseArgs(['--fan-speed', '40'], '/work', table);
    assert.ok(parsed.ok && parsed.command === 'run');
    assert.equal((parsed.flags as unknown as Record<string, unknown>).fanSpeed, 40);
    assert.deepEqual(flagsToSettingsPatch(parsed.flags, table), { fanSpeed: 40 });
    const over = parseArgs(['--fan-speed', '150'], '/work', table);
    assert.ok(!over.ok);
    assert.equal(over.message, '--fan-speed must be a number between 0% and 100% (got 150%)');
    const letters = parseArgs(['--fan-speed', 'fast'], '/work', table);
    assert.ok(!letters.ok && /--fan-speed must be a number between 0% and 100% \(got "fast"\)/.test(letters.message));
    const elsewhere = parseArgs(['plan', '--fan-speed', '40'], '/work', table);
    assert.ok(!elsewhere.ok && elsewhere.message === '--fan-speed is not a flag of `plan` (it belongs to run)');
    assert.deepEqual(parseArgs(['--fan-speed', '40'], '/work'), { ok: false, message: 'unknown flag --fan-speed' });

    const patch = settingsPatchSchema(table);
    assert.deepEqual(patch.parse({ fanSpeed: 40, ramThreshold: 80 }, ''), {
      ok: true,
      value: { fanSpeed: 40, ramThreshold: 80 },
    });
    assert.deepEqual(patch.parse({ fanSpeed: 150 }, ''), {
      ok: false,
      field: 'fanSpeed',
      message: 'fanSpeed must be a number between 0% and 100% (got 150%)',
    });
    assert.equal(SETTINGS_PATCH.parse({ fanSpeed: 40 }, '').ok, false, 'the production api does not know it');
    assert.equal(defaultSettings(table).fanSpeed, 50);
    assert.equal(settingApplies(table).fanSpeed, 'live');

    assert.match(usage('run', 'brain-in-jar', table), /^ {2}--fan-speed PCT +how fast the fan spins \(default 50\)$/m);
    assert.ok(!usage('plan', 'brain-in-jar', table).includes('--fan-speed'), 'only the commands it names list it');
    assert.ok(!usage('run').includes('--fan-speed'));

    assert.deepEqual(settingLabels(table).fanSpeed, {
      label: 'Fan speed',
      help: 'how fast the fan spins (default 50)',
      applies: 'live',
      unit: '%',
    });
  });

  it('gives a new role setting a flag per role, merged over the other roles', () => {
    const table = {
      ...SETTINGS_TABLE,
      priorities: roleSetting(s.number({ min: 1, max: 10, integer: true }), {
        label: 'Priorities',
        help: "the instance's priority",
        defaultHelp: '5',
        applies: 'next start',
        roleFlag: { key: 'priorities', name: '--priority', placeholder: 'N', commands: ['run', 'plan'] },
      }),
    };
    const parsed = parseArgs(['plan', '--priority-god', '3', '--priority-subject=7'], '/work', table);
    assert.ok(parsed.ok && parsed.command === 'plan');
    assert.deepEqual(flagsToSettingsPatch(parsed.flags, table), { priorities: { SUBJECT: 7, GOD: 3 } });
    const bad = parseArgs(['--priority-observer', '11'], '/work', table);
    assert.ok(!bad.ok && /^--priority-observer must be a whole number between 1 and 10 \(got 11\)$/.test(bad.message));
    assert.equal(settingsPatchSchema(table).parse({ priorities: { GOD: 11 } }, '').ok, false);
    assert.equal(settingsPatchSchema(table).parse({ priorities: { GOD: 3 } }, '').ok, true);
    assert.match(usage('plan', 'brain-in-jar', table), /--priority-god N +GOD: the instance's priority \(default 5\)/);
    assert.equal(settingLabels(table).priorities.applies, 'next start');
    assert.equal(settingLabels(table).priorities.label, 'Priorities');
  });

  it("keeps the command line's meaning: --model for every role under -ROLE, --strategy manual's 0 layers and 2048 tokens", () => {
    const patch = (argv: string[]) => {
      const parsed = parseArgs(argv, '/work');
      assert.ok(parsed.ok && parsed.command !== 'help', argv.join(' '));
      return flagsToSettingsPatch(parsed.flags);
    };
    assert.deepEqual(patch([]), {});
    assert.deepEqual(patch(['--model', 'm.gguf', '--model-god', 'g.gguf', '--spare-god', '--aggressive']), {
      models: { SUBJECT: '/work/m.gguf', OBSERVER: '/work/m.gguf', GOD: '/work/g.gguf' },
      spare: { GOD: true },
      aggressive: true,
    });
    const everyRole = <T>(value: T) => ({ SUBJECT: value, OBSERVER: value, GOD: value });
    assert.deepEqual(patch(['--strategy', 'manual']), {
      strategies: everyRole('manual'),
      manual: everyRole({ gpuLayers: 0, contextSize: 2048 }),
    });
    assert.deepEqual(patch(['--gpu-layers', '12', '--context', '1024']), {
      manual: everyRole({ gpuLayers: 12, contextSize: 1024 }),
      contextSize: 1024,
    });
    assert.deepEqual(patch(['--context', '1024', '--reserve', '3', '--ram-limit-observer', '5']), {
      ramLimitsGb: { OBSERVER: 5 },
      contextSize: 1024,
      reserveGb: 3,
    });
  });

  it('labels the panel with the strings its end-to-end tests look up', () => {
    assert.equal(SETTING_LABELS.ramThreshold.label, 'RAM threshold');
    assert.equal(SETTING_LABELS.warnThreshold.label, 'Warn level');
    assert.equal(SETTING_LABELS.ramLimitsGb.label, 'RAM limits');
    assert.equal(SETTING_LABELS.mode.label, 'Mode');
    assert.equal(`SUBJECT ${SETTING_LABELS.strategies.label.toLowerCase()}`, 'SUBJECT planner strategy');
    assert.equal(`SUBJECT ${SETTING_LABELS.manual.label.toLowerCase()}`, 'SUBJECT manual plan');
    assert.deepEqual(SETTING_LABELS.intervalS, {
      label: 'Interval',
      help: "the watchdog's sampling interval far from every limit, seconds; it speeds up to 0.1 s near one (default 2)",
      applies: 'live',
      unit: 's',
    });
    assert.equal(SETTING_LABELS.models.applies, 'next start');
  });
});
