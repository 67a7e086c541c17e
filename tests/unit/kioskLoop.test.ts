import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../resources/brain-in-jar-kiosk.sh');

describe('the kiosk keeper (resources/brain-in-jar-kiosk.sh)', () => {
  it('starts the app again after it dies, pausing longer each time, and stops when the operator quits it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-kiosk-'));
    const runs = path.join(dir, 'runs');
    // An app that dies twice (as a crash would: code 1), then is quit by the operator (code 0).
    const app = path.join(dir, 'app.sh');
    fs.writeFileSync(app, `#!/bin/sh\necho "$@" >> ${runs}\n[ $(wc -l < ${runs}) -ge 3 ] && exit 0\nexit 1\n`, {
      mode: 0o755,
    });
    const started = Date.now();
    const result = spawnSync(script, [app, '--kiosk', '--mode', 'matrix'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, BIJ_KIOSK_FIRST_DELAY: '1', BIJ_KIOSK_MAX_DELAY: '60' },
    });
    const took = (Date.now() - started) / 1000;
    assert.equal(result.status, 0);
    assert.deepEqual(fs.readFileSync(runs, 'utf8').trim().split('\n'), Array(3).fill('--kiosk --mode matrix'));
    assert.match(result.stderr, /ended with code 1 .* again in 1 s/);
    assert.match(result.stderr, /again in 2 s/, 'the pause doubled');
    assert.ok(took >= 3 && took < 10, `1 s + 2 s of pauses, took ${took} s`);
  });
});
