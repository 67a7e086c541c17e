import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultRunFlags, parseArgs, usage } from '../../electron/core/cli/args.js';

describe('command line', () => {
  it('has the defaults of the original service: single mode, 127.0.0.1:8095', () => {
    const parsed = parseArgs([], '/work');
    assert.ok(parsed.ok && parsed.command === 'run');
    assert.deepEqual(parsed.flags, defaultRunFlags());
    assert.equal(parsed.flags.webHost, '127.0.0.1');
    assert.equal(parsed.flags.webPort, 8095);
    assert.equal(parsed.flags.mode, 'single');
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

  it('turns --no-autostart off and lists every flag in the help', () => {
    const parsed = parseArgs(['--no-autostart'], '/work');
    assert.ok(parsed.ok && parsed.command === 'run' && parsed.flags.autostart === false);
    assert.deepEqual(parseArgs(['--help']), { ok: true, command: 'help' });
    for (const flag of ['--mode', '--model', '--web-host', '--web-port', '--data-dir', '--json-events']) {
      assert.ok(usage().includes(flag), flag);
    }
  });
});
