import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { DEMO_MODEL_SPEC, generateModel } from '../../electron/core/gguf/generateModel.js';
import { validateModel } from '../../electron/core/gguf/validateModel.js';
import { defaultReserveBytes } from '../../electron/core/planner/budget.js';
import { modelProfile } from '../../electron/core/planner/modelProfile.js';
import { makePlan, type PlanRequest } from '../../electron/core/planner/planner.js';
import { limitTooLow } from '../../electron/core/settingsService.js';
import { METHODS } from '../../shared/api.js';
import { GIB, MIB } from '../../shared/board.js';
import type { Role } from '../../shared/instances.js';
import { gbApart, limitBelowNeed } from '../../shared/limitFigures.js';
import { inOperatorWords, settingName } from '../../shared/settingNames.js';
import { board } from '../helpers/boards.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-limits-'));
const file = path.join(dir, 'demo.gguf');
generateModel(file, DEMO_MODEL_SPEC);
const validation = validateModel(file);
assert.ok(validation.ok);
const demo = modelProfile(file, validation.header);

function request(limitsGb: Partial<Record<Role, number>>): PlanRequest {
  const resources = board('cpu-8gb');
  return {
    resources,
    gpuThresholdPercent: 85,
    reserveBytes: defaultReserveBytes(resources.ramTotalBytes),
    instances: (['SUBJECT', 'OBSERVER', 'GOD'] as const).map((role) => ({
      role,
      model: demo,
      ramLimitBytes: (limitsGb[role] ?? 1) * GIB,
      strategy: 'fit' as const,
    })),
  };
}

describe('a RAM limit against what its instance needs', () => {
  it('rounds the limit down and the need up until the two figures differ', () => {
    // The "needs 0.1 GB ... more than its RAM limit of 0.1 GB".
    assert.deepEqual(gbApart(0.1 * GIB, 0.104 * GIB), { lower: '0.10 GB', higher: '0.11 GB' });
    assert.deepEqual(gbApart(0.119 * GIB, 0.1191 * GIB), { lower: '0.11 GB', higher: '0.12 GB' });
    assert.deepEqual(gbApart(0.12 * GIB, 0.12 * GIB + 1000), { lower: '0.12 GB', higher: '0.13 GB' });
    assert.deepEqual(gbApart(2 * GIB, 2.5 * GIB), { lower: '2.0 GB', higher: '2.5 GB' });
    assert.deepEqual(gbApart(2.44 * GIB, 2.45 * GIB), { lower: '2.4 GB', higher: '2.5 GB' });
  });

  it('words a refusal with both figures, and has nothing to say of a limit that holds the need', () => {
    assert.equal(
      limitBelowNeed('SUBJECT', 0.1 * GIB, 0.104 * GIB),
      "SUBJECT's RAM limit of 0.10 GB is below the 0.11 GB its model needs at the least",
    );
    assert.equal(limitBelowNeed('GOD', 0.2 * GIB, 0.104 * GIB), null);
    assert.equal(limitBelowNeed('GOD', 0.01 * GIB, null), null, 'no estimate, nothing to refuse it with');
  });

  it('carries every limit, and the least each may be, in a plan refused for one instance', () => {
    const outcome = makePlan(request({ SUBJECT: 0.1 }));
    assert.ok(!outcome.ok);
    assert.equal(outcome.error.code, 'MODEL_TOO_LARGE');
    const limits = outcome.limits!.instances;
    assert.deepEqual(
      limits.map((entry) => [entry.instance, entry.ramLimitBytes]),
      [
        ['SUBJECT', 0.1 * GIB],
        ['OBSERVER', GIB],
        ['GOD', GIB],
      ],
    );
    const least = limits[0]!.leastBytes!;
    assert.ok(least > 0.1 * GIB && least < 0.5 * GIB, `the demo model needs ${least / MIB} MB at the least`);
    const [figureLimit, figureNeed] = /of ([\d.]+) GB, .* ([\d.]+) GB/
      .exec(outcome.error.message.replace(/needs ([\d.]+ GB).*limit of ([\d.]+ GB)/, 'of $2, x $1'))!
      .slice(1);
    assert.notEqual(figureLimit, figureNeed, `the refusal's figures differ: ${outcome.error.message}`);
  });

  it('plans at exactly each least limit, and refuses a limit a megabyte under one', () => {
    const least = makePlan(request({})).limits!.instances.map((entry) => entry.leastBytes!);
    const withLimits = (limits: number[]): PlanRequest => ({
      ...request({}),
      instances: request({}).instances.map((one, index) => ({ ...one, ramLimitBytes: limits[index]! })),
    });
    assert.ok(makePlan(withLimits(least)).ok, 'the smallest plans fit their own estimates');
    const under = makePlan(withLimits([least[0]!, least[1]! - MIB, least[2]!]));
    assert.ok(!under.ok && under.error.code === 'MODEL_TOO_LARGE' && under.error.message.startsWith('OBSERVER: '));
  });

  it("refuses a settings change that sets a limit below the need, naming the operator's field", () => {
    const outcome = makePlan(request({ SUBJECT: 0.1 }));
    const refused = limitTooLow({ ramLimitsGb: { SUBJECT: 0.1 } }, outcome);
    assert.equal(refused?.field, 'ramLimitsGb.SUBJECT');
    assert.match(refused?.message ?? '', /^SUBJECT's RAM limit of 0\.10 GB is below the 0\.\d+ GB its model needs/);
    assert.equal(limitTooLow({ ramLimitsGb: { OBSERVER: 1 } }, outcome), null, 'only the limits it sets are judged');
    assert.equal(limitTooLow({ ramThreshold: 80 }, outcome), null);
  });
});

describe("the settings' refusals in the operator's words", () => {
  it('names each field as the panel labels it', () => {
    assert.equal(settingName('ramThreshold'), 'RAM threshold');
    assert.equal(settingName('ramLimitsGb.SUBJECT'), "SUBJECT's RAM limit");
    assert.equal(settingName('models.GOD'), "GOD's model");
    assert.equal(settingName('manual.OBSERVER.contextSize'), "OBSERVER's manual plan context");
    assert.equal(settingName('nonsense'), null);
  });

  it('answers settings.set and plan.preview with those names, the field path kept for the panel', () => {
    const cases: Array<[string, unknown, string, string]> = [
      [
        'settings.set',
        { ramLimitsGb: { SUBJECT: 'abc' } },
        'ramLimitsGb.SUBJECT',
        `SUBJECT's RAM limit must be a number between 0.1 GB and 4096 GB (got "abc")`,
      ],
      [
        'settings.set',
        { ramThreshold: 150 },
        'ramThreshold',
        'RAM threshold must be a number between 1% and 100% (got 150%)',
      ],
      [
        'settings.set',
        { ramLimitsGb: { NOBODY: 1 } },
        'ramLimitsGb.NOBODY',
        'RAM limits: NOBODY is not one of SUBJECT, OBSERVER, GOD',
      ],
      ['settings.set', { fanSpeed: 1 }, 'fanSpeed', 'fanSpeed is not a setting'],
      [
        'plan.preview',
        { patch: { manual: { GOD: { gpuLayers: 0, contextSize: 100 } } } },
        'patch.manual.GOD.contextSize',
        "GOD's manual plan context must be a whole number between 512 and 1048576 (got 100)",
      ],
    ];
    for (const [method, params, field, message] of cases) {
      const parsed = METHODS[method as 'settings.set'].parse(params, '');
      assert.deepEqual(parsed, { ok: false, field, message });
    }
    assert.equal(inOperatorWords('instance', 'instance must be one of SUBJECT'), 'instance must be one of SUBJECT');
  });
});
