import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { readSettingsText, SettingsStore } from '../../electron/core/store/settingsStore.js';
import { DEFAULT_SETTINGS } from '../../shared/settings.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-settings-'));
const onDisk = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
const backupsIn = (dir: string) => fs.readdirSync(dir).filter((name) => name.startsWith('settings.json.corrupt-'));

describe('settings.json as it is read', () => {
  it("keeps a newer version's keys, and writes them back with the next save", async () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    const newer = { ramThreshold: 80, fanCurve: { quiet: [40, 60] }, telemetry: false, __proto__x: 1 };
    fs.writeFileSync(file, JSON.stringify(newer));
    const store = new SettingsStore(file);
    assert.equal(store.notice, null);
    assert.equal(store.settings.ramThreshold, 80);
    assert.equal(store.settings.gpuThreshold, DEFAULT_SETTINGS.gpuThreshold);
    assert.equal(await store.save({ ...store.settings, graceS: 5 }), null);
    const saved = onDisk(file);
    assert.equal(saved.graceS, 5);
    assert.equal(saved.ramThreshold, 80);
    assert.deepEqual(saved.fanCurve, { quiet: [40, 60] });
    assert.equal(saved.telemetry, false);
    assert.equal(saved.__proto__x, 1);
    assert.deepEqual(backupsIn(dir), [], 'nothing was set aside');
  });

  it('keeps "__proto__" and "toString" as keys of the file, never as the prototype', () => {
    const read = readSettingsText('{"__proto__": {"ramThreshold": 5}, "toString": 3, "graceS": 4}');
    assert.ok(read.settings);
    assert.equal(read.settings.graceS, 4);
    assert.equal(read.settings.ramThreshold, DEFAULT_SETTINGS.ramThreshold);
    assert.deepEqual(Object.keys(read.unknown), ['__proto__', 'toString']);
    assert.equal(Object.getPrototypeOf(read.unknown), Object.prototype);
    assert.deepEqual(read.problems, []);
  });

  it('puts a refused known value back to its default, keeps the rest and says so, with the file kept as it was', () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    const text = JSON.stringify({ ramThreshold: 150, graceS: 4, strategies: { SUBJECT: 'seed' }, mode: 'triple' });
    fs.writeFileSync(file, text);
    const store = new SettingsStore(file);
    assert.equal(store.settings.ramThreshold, DEFAULT_SETTINGS.ramThreshold);
    assert.equal(store.settings.mode, DEFAULT_SETTINGS.mode);
    assert.equal(store.settings.graceS, 4);
    assert.deepEqual(store.settings.strategies, { SUBJECT: 'seed' });
    assert.match(store.notice ?? '', /^settings\.json had values this version refuses \(ramThreshold must be/);
    assert.match(store.notice ?? '', /mode must be one of single, matrix \(got "triple"\)/);
    assert.match(
      store.notice ?? '',
      /the others are kept, and the file as it was is kept as .*settings\.json\.corrupt-/,
    );
    const [backup] = backupsIn(dir);
    assert.equal(fs.readFileSync(path.join(dir, backup!), 'utf8'), text);
    // Repaired on disk: the next start reads it without a word.
    assert.equal(onDisk(file).ramThreshold, DEFAULT_SETTINGS.ramThreshold);
    assert.equal(onDisk(file).graceS, 4);
    assert.equal(new SettingsStore(file).notice, null);
    assert.equal(new SettingsStore(file).settings.graceS, 4);
  });

  it('sets aside a file that breaks the rules between fields, like a damaged one, and loads the defaults', () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{"warnThreshold": 95}');
    const store = new SettingsStore(file);
    assert.deepEqual(store.settings, DEFAULT_SETTINGS);
    assert.match(
      store.notice ?? '',
      /^settings\.json was damaged \(Warn level must be below the RAM threshold and the GPU threshold \(95% is not below 85%\)\); it is kept as .*settings\.json\.corrupt-.* and the defaults are in use$/,
    );
    assert.equal(fs.existsSync(file), false);
    const [backup] = backupsIn(dir);
    assert.equal(fs.readFileSync(path.join(dir, backup!), 'utf8'), '{"warnThreshold": 95}');
  });

  it('sets aside text that is not a JSON object', () => {
    for (const text of ['[1, 2]', '"settings"', 'null', '{"graceS": 2']) {
      const read = readSettingsText(text);
      assert.equal(read.settings, null, text);
      assert.equal(read.problems.length, 1);
    }
  });
});

describe('settings.json as it is written', () => {
  it('changes the settings at once and writes a burst as one file write, off the event loop', async () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    const store = new SettingsStore(file);
    const saves: Array<Promise<string | null>> = [];
    for (let n = 1; n <= 300; n++) {
      saves.push(store.save({ ...store.settings, graceS: 1 + (n % 50) / 10 }));
      assert.equal(store.settings.graceS, 1 + (n % 50) / 10, 'in memory at once');
    }
    saves.push(store.save({ ...store.settings, graceS: 4.2 }));
    assert.equal(fs.existsSync(file), false, 'nothing was written while the caller ran');
    assert.deepEqual(await Promise.all(saves), new Array(301).fill(null));
    assert.equal(store.writes, 1, 'one write for the whole burst');
    assert.equal(onDisk(file).graceS, 4.2);
    assert.deepEqual(fs.readdirSync(dir), ['settings.json'], 'no temporary file is left');
  });

  it('coalesces what comes during a write into one follow-up write of the latest settings', async () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    const store = new SettingsStore(file);
    const first = store.save({ ...store.settings, graceS: 3 });
    // Let the first write start, then ask for more while it runs.
    await new Promise((resolve) => setImmediate(resolve));
    const later = [5, 6, 7].map((graceS) => store.save({ ...store.settings, graceS }));
    await Promise.all([first, ...later]);
    assert.equal(store.writes, 2);
    assert.equal(onDisk(file).graceS, 7);
  });

  it('says a write that fails, leaves no temporary file, and keeps the change for this run', async () => {
    const dir = tmp();
    const file = path.join(dir, 'settings.json');
    fs.mkdirSync(file);
    const store = new SettingsStore(file);
    assert.match(store.notice ?? '', /^settings\.json could not be read \(EISDIR/);
    const problem = await store.save({ ...store.settings, graceS: 5 });
    assert.match(problem ?? '', /^settings\.json could not be saved \(.+\); the changes hold until the host stops$/);
    assert.match(store.notice ?? '', /could not be saved/);
    assert.equal(store.settings.graceS, 5);
    assert.deepEqual(fs.readdirSync(dir), ['settings.json'], 'the temporary file is removed');
    fs.rmdirSync(file);
    assert.equal(await store.save({ ...store.settings, graceS: 6 }), null, 'a later write succeeds');
    assert.doesNotMatch(store.notice ?? '', /could not be saved/);
    assert.equal(onDisk(file).graceS, 6);
  });
});
