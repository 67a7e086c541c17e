import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { reportStartupFailure } from '../../electron/core/startupFailure.js';

describe('a start-up failure', () => {
  it('is shown on the display and kept in the data folder, not only on stderr', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-fail-'));
    const shown: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      reportStartupFailure('--ram-threshold: must be a number from 1% to 100% (got "150")', {
        dataDir,
        show: (title, message) => shown.push(`${title}: ${message}`),
        now: new Date('2026-12-01T20:00:00Z'),
      });
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(shown, [
      'Brain in a Jar could not start: --ram-threshold: must be a number from 1% to 100% (got "150")',
    ]);
    assert.equal(
      fs.readFileSync(path.join(dataDir, 'logs', 'startup.log'), 'utf8'),
      '2026-12-01T20:00:00.000Z --ram-threshold: must be a number from 1% to 100% (got "150")\n',
    );
  });

  it('is still shown when the data folder itself cannot be written', () => {
    // A data folder "inside" a plain file: every write under it fails (ENOTDIR).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bij-fail-')), 'a-file');
    fs.writeFileSync(file, '');
    const shown: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      reportStartupFailure('cannot write the data directory', {
        dataDir: path.join(file, 'data'),
        show: (_t, m) => shown.push(m),
      });
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(shown, ['cannot write the data directory']);
  });
});
