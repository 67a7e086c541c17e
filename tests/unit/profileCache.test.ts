import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { loadProfile } from '../../electron/core/planner/planInputs.js';

describe("a model's profile for the planner", () => {
  it('is read once per version of the file: every re-plan of a settings change reuses it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-profile-'));
    const file = path.join(dir, 'm.gguf');
    generateModel(file, DEMO_MODEL_SPEC);
    const first = loadProfile(file);
    assert.ok(first.ok);
    assert.equal(loadProfile(file), first, 'the same file is not read again');

    // Replaced by another model (as a copy over it would): read again.
    generateModel(file, { ...DEMO_MODEL_SPEC, layers: 3 });
    const second = loadProfile(file);
    assert.ok(second.ok && second.profile.blockCount === 3);

    // Replaced by a broken file, then removed: refused with the reason, never the old profile.
    fs.writeFileSync(file, 'not a model');
    const broken = loadProfile(file);
    assert.ok(!broken.ok && /not a GGUF/i.test(broken.message), JSON.stringify(broken));
    fs.rmSync(file);
    const missing = loadProfile(file);
    assert.ok(!missing.ok && /no such file/.test(missing.message));
  });
});
