import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { userUnitMemoryLimits } from '../../electron/core/cli/serviceLimits.js';

/** A cgroup folder tree as the kernel lays it out, with what each cgroup.controllers says. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-cg-'));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}
const manager = 'user.slice/user-1000.slice/user@1000.service/cgroup.controllers';

describe("the service unit's memory limits", () => {
  it('hold on cgroup v2 with the memory controller delegated to the user manager', () => {
    const root = tree({ 'cgroup.controllers': 'cpuset cpu io memory pids\n', [manager]: 'cpu memory pids\n' });
    assert.equal(userUnitMemoryLimits(root, 1000).enforced, true);
  });

  it('are said not to hold, and why, where systemd would ignore them', () => {
    const undelegated = tree({ 'cgroup.controllers': 'cpuset cpu io memory pids\n', [manager]: 'cpu pids\n' });
    assert.match(userUnitMemoryLimits(undelegated, 1000).reason, /not delegated .*Delegate=memory/);
    assert.match(userUnitMemoryLimits(tree({ 'memory/memory.limit_in_bytes': '9' }), 1000).reason, /no cgroup v2/);
    const noManager = tree({ 'cgroup.controllers': 'memory\n' });
    assert.equal(userUnitMemoryLimits(noManager, 1000).enforced, false);
  });
});
