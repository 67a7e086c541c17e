import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { legacyDataDir, moveLegacyData } from '../../electron/core/store/legacyDataDir.js';

function folders() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-legacy-'));
  const legacy = path.join(root, 'brain-in-a-jar');
  const target = path.join(root, 'brain-in-jar');
  fs.mkdirSync(path.join(legacy, 'sessions', 's1'), { recursive: true });
  fs.writeFileSync(path.join(legacy, 'sessions', 's1', 'SUBJECT.jsonl'), '{"v":1}\n');
  fs.writeFileSync(path.join(legacy, 'deaths.json'), JSON.stringify({ SUBJECT: 7, OBSERVER: 1, GOD: 0 }));
  fs.writeFileSync(path.join(legacy, 'settings.json'), '{"mode":"matrix"}\n');
  // Chromium's own profile files stay where they are.
  fs.mkdirSync(path.join(legacy, 'GPUCache'));
  return { legacy, target };
}

describe('the one data folder', () => {
  it('is $XDG_CONFIG_HOME/brain-in-jar, and the old Electron folder brain-in-a-jar beside it', () => {
    assert.equal(legacyDataDir({ XDG_CONFIG_HOME: '/c' }), '/c/brain-in-a-jar');
  });

  it('takes over what the old Electron folder held, once, and says where it went', () => {
    const { legacy, target } = folders();
    const done = moveLegacyData(legacy, target);
    assert.ok(done.length >= 3, done.join('; '));
    assert.equal(JSON.parse(fs.readFileSync(path.join(target, 'deaths.json'), 'utf8')).SUBJECT, 7);
    assert.equal(fs.readFileSync(path.join(target, 'settings.json'), 'utf8'), '{"mode":"matrix"}\n');
    assert.ok(fs.existsSync(path.join(target, 'sessions', 's1', 'SUBJECT.jsonl')));
    assert.ok(fs.existsSync(path.join(legacy, 'GPUCache')), "Chromium's files are left alone");
    assert.match(fs.readFileSync(path.join(legacy, 'MOVED.txt'), 'utf8'), /brain-in-jar/);
    assert.deepEqual(moveLegacyData(legacy, target), [], 'never twice');
  });

  it('merges death counts kept in both (the higher of each: counts only rise) and keeps both settings files', () => {
    const { legacy, target } = folders();
    fs.mkdirSync(path.join(target, 'sessions', 's0'), { recursive: true });
    fs.writeFileSync(path.join(target, 'deaths.json'), JSON.stringify({ SUBJECT: 3, OBSERVER: 4, GOD: 2 }));
    fs.writeFileSync(path.join(target, 'settings.json'), '{"mode":"single"}\n');
    moveLegacyData(legacy, target);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(target, 'deaths.json'), 'utf8')), {
      SUBJECT: 7,
      OBSERVER: 4,
      GOD: 2,
    });
    assert.equal(fs.readFileSync(path.join(target, 'settings.json'), 'utf8'), '{"mode":"single"}\n');
    assert.equal(
      fs.readFileSync(path.join(target, 'settings.json.from-brain-in-a-jar'), 'utf8'),
      '{"mode":"matrix"}\n',
    );
    assert.deepEqual(fs.readdirSync(path.join(target, 'sessions')).sort(), ['s0', 's1']);
  });
});
