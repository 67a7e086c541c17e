import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { leftoverCgroups, removeCgroupTree } from '../../bench/cleanup.js';
import { parseProcCgroup } from '../../electron/core/enforcement/cgroupFiles.js';
import { hostCgroupName } from '../../electron/core/enforcement/staleCgroups.js';

describe("the bench's clean-up", () => {
  it('finds the real cgroup folder a gone host left, nested groups and all, and removes it', () => {
    // The pid of a process that has exited: a host killed before it could remove its own folder.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const own = parseProcCgroup(fs.readFileSync('/proc/self/cgroup', 'utf8'));
    const parent =
      own.v1Memory !== null ? path.join('/sys/fs/cgroup/memory', own.v1Memory) : path.join('/sys/fs/cgroup', own.v2!);
    const folder = path.join(parent, hostCgroupName(gone));
    fs.mkdirSync(folder);
    fs.mkdirSync(path.join(folder, 'SUBJECT-1'));
    fs.mkdirSync(path.join(folder, 'SUBJECT-1', 'inner'));
    try {
      assert.ok(fs.existsSync(path.join(folder, 'SUBJECT-1', 'cgroup.procs')), 'a real cgroup, with its control files');
      assert.deepEqual(leftoverCgroups(gone), [folder]);
      removeCgroupTree(folder);
      assert.equal(fs.existsSync(folder), false);
      assert.deepEqual(leftoverCgroups(gone), []);
    } finally {
      for (const dir of [path.join(folder, 'SUBJECT-1', 'inner'), path.join(folder, 'SUBJECT-1'), folder]) {
        if (fs.existsSync(dir)) fs.rmdirSync(dir);
      }
    }
  });
});
