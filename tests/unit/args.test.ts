import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultFlags, parseArgs, usage } from '../../electron/core/cli/args.js';

describe('command line', () => {
  it('has the defaults of the original service: 127.0.0.1:8095, mode left to the settings (single)', () => {
    const parsed = parseArgs([], '/work');
    assert.ok(parsed.ok && parsed.command === 'run');
    assert.deepEqual(parsed.flags, defaultFlags());
    assert.equal(parsed.flags.webHost, '127.0.0.1');
    assert.equal(parsed.flags.webPort, 8095);
    assert.equal(parsed.flags.mode, undefined);
  });

  it('reads every flag issue 2 names, in both --flag value and --flag=value forms', () => {
    const parsed = parseArgs(
      [
        '--mode',
        'single',
        '--model=models/m.gguf',
        '--web-host',
        '0.0.0.0',
        '--web-port',
        '0',
        '--data-dir',
        'd',
        '--json-events',
      ],
      '/work',
    );
    assert.ok(parsed.ok && parsed.command === 'run');
    assert.equal(parsed.flags.model, '/work/models/m.gguf');
    assert.equal(parsed.flags.dataDir, '/work/d');
    assert.equal(parsed.flags.webHost, '0.0.0.0');
    assert.equal(parsed.flags.webPort, 0);
    assert.equal(parsed.flags.jsonEvents, true);
  });

  it('refuses bad values with the flag named', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--web-port', '70000'], /--web-port must be a whole number between 0 and 65535 \(got 70000\)/],
      [['--web-port', 'abc'], /--web-port must be a whole number between 0 and 65535 \(got "abc"\)/],
      [['--mode', 'triple'], /--mode must be one of single, matrix \(got "triple"\)/],
      [['--threads', '0'], /--threads must be a whole number between 1 and 256/],
      [['--model'], /--model needs a value \(PATH\)/],
      [['--model', '--json-events'], /--model needs a value/],
      [['--model', ''], /--model must not be empty/],
      [['--json-events=yes'], /--json-events takes no value/],
      [['--frobnicate'], /unknown flag --frobnicate/],
      [['stray'], /unexpected argument "stray"/],
    ];
    for (const [argv, message] of cases) {
      const parsed = parseArgs(argv, '/work');
      assert.ok(!parsed.ok, `accepted ${argv.join(' ')}`);
      assert.match(parsed.message, message);
    }
  });

  it('refuses a flag given twice, naming it, in either form', () => {
    const cases: Array<[string[], string]> = [
      [['--mode', 'single', '--mode', 'matrix'], '--mode given twice'],
      [['--mode=single', '--mode', 'single'], '--mode given twice'],
      [['plan', '--ram-limit-god', '7', '--ram-limit-god=7'], '--ram-limit-god given twice'],
      [['--json-events', '--json-events'], '--json-events given twice'],
      [['--model', 'a.gguf', '--model', 'b.gguf'], '--model given twice'],
    ];
    for (const [argv, message] of cases) {
      assert.deepEqual(parseArgs(argv, '/work'), { ok: false, message }, argv.join(' '));
    }
    // A role's own flag beside the every-role one is not a repeat: the role's wins for that role.
    const both = parseArgs(['--model', 'a.gguf', '--model-god', 'g.gguf'], '/work');
    assert.ok(both.ok && both.command === 'run');
    assert.deepEqual(both.flags.roleModels, { GOD: '/work/g.gguf' });
  });

  it('reads numbers as plain decimals only, and says so when refusing another form', () => {
    const read = (value: string) => {
      const parsed = parseArgs(['--temperature', value], '/work');
      return parsed.ok && parsed.command === 'run' ? parsed.flags.temperature : parsed;
    };
    assert.equal(read('0.5'), 0.5);
    assert.equal(read('1'), 1);
    assert.equal(read('0'), 0);
    const port = parseArgs(['--web-port', '010'], '/work');
    assert.ok(port.ok && port.command === 'run' && port.flags.webPort === 10, 'a leading zero is still decimal');
    const hint = /; write numbers as plain decimals, like 10 or 0\.5$/;
    for (const form of [
      '0x10',
      '0o10',
      '0b10',
      '1e3',
      '1E-1',
      '+1',
      ' 1',
      '1.',
      '.5',
      'Infinity',
      '-Infinity',
      'NaN',
    ]) {
      const parsed = parseArgs(['--web-port', form], '/work');
      assert.ok(!parsed.ok, `accepted ${JSON.stringify(form)}`);
      assert.ok(
        parsed.message.startsWith('--web-port must be a whole number between 0 and 65535 (got '),
        parsed.message,
      );
      assert.match(parsed.message, hint, form);
    }
    const empty = parseArgs(['--temperature', ''], '/work');
    assert.ok(!empty.ok && /^--temperature must be a number between 0 and 2 \(got ""\)$/.test(empty.message));
    const words = parseArgs(['--temperature', 'warm'], '/work');
    assert.ok(!words.ok && !hint.test(words.message), 'letters need no hint about number forms');
    assert.deepEqual(read('-1'), { ok: false, message: '--temperature must be a number between 0 and 2 (got -1)' });
    assert.match(usage(), /numbers are plain decimals \(10, 0\.5\)/);
    assert.match(usage('plan'), /Each flag is given at most once/);
  });

  it('reads the commands and their own flags, and refuses a flag of another command', () => {
    const plan = parseArgs(
      [
        'plan',
        '--mode',
        'matrix',
        '--model-subject',
        's.gguf',
        '--model-god',
        'g.gguf',
        '--ram-limit-god',
        '7',
        '--strategy',
        'seed',
        '--aggressive',
        '--json',
        '--meminfo',
        'm.txt',
        '--cores',
        '12',
      ],
      '/work',
    );
    assert.ok(plan.ok && plan.command === 'plan');
    assert.deepEqual(plan.flags.roleModels, { SUBJECT: '/work/s.gguf', GOD: '/work/g.gguf' });
    assert.deepEqual(plan.flags.ramLimitsGb, { GOD: 7 });
    assert.equal(plan.flags.strategy, 'seed');
    assert.equal(plan.flags.aggressive, true);
    assert.equal(plan.flags.meminfo, '/work/m.txt');
    assert.equal(plan.flags.cores, 12);
    const doctor = parseArgs(['doctor', '--web-port', '1'], '/work');
    assert.ok(!doctor.ok);
    assert.equal(doctor.message, '--web-port is not a flag of `doctor` (it belongs to run)');
    const badLimit = parseArgs(['plan', '--ram-limit-subject', 'lots'], '/work');
    assert.ok(
      !badLimit.ok &&
        /--ram-limit-subject must be a number between 0\.1 GB and 4096 GB \(got "lots"\)/.test(badLimit.message),
    );
    const badStrategy = parseArgs(['plan', '--strategy', 'yolo'], '/work');
    assert.ok(!badStrategy.ok && /--strategy must be one of seed, fit, manual/.test(badStrategy.message));
  });

  it('turns --no-autostart off and lists every flag in the help', () => {
    const parsed = parseArgs(['--no-autostart'], '/work');
    assert.ok(parsed.ok && parsed.command === 'run' && parsed.flags.autostart === false);
    assert.deepEqual(parseArgs(['--help']), { ok: true, command: 'help', topic: 'run' });
    assert.deepEqual(parseArgs(['plan', '--help']), { ok: true, command: 'help', topic: 'plan' });
    assert.match(usage('plan'), /--tegrastats FILE/);
    for (const flag of ['--mode', '--model', '--web-host', '--web-port', '--data-dir', '--json-events']) {
      assert.ok(usage().includes(flag), flag);
    }
  });
});
