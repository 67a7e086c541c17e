import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { sweepStaleCgroups } from '../../electron/core/enforcement/staleCgroups.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bij-cgroups-'));

describe('the stale cgroup sweep', () => {
  /** A cgroup folder as the kernel shows one: its control files, cgroup.procs listing its processes. */
  function group(dir: string, procs = ''): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cgroup.procs'), procs);
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), '9223372036854771712\n');
  }
  // On a real cgroup file system rmdir takes the control files with the group; here they are plain files.
  const removed: string[] = [];
  const io = (alive: number[]) => ({
    isAlive: (pid: number) => alive.includes(pid),
    remove: (dir: string) => {
      removed.push(dir);
      fs.rmSync(dir, { recursive: true });
    },
  });

  it("removes only our groups whose host is gone and that hold no process, workers' groups first", () => {
    const parent = tmp();
    group(path.join(parent, 'brain-in-jar-111'));
    group(path.join(parent, 'brain-in-jar-111', 'SUBJECT-1'));
    group(path.join(parent, 'brain-in-jar-111', 'GOD-2'));
    group(path.join(parent, 'brain-in-jar-222'));
    group(path.join(parent, 'brain-in-jar-222', 'SUBJECT-1'), '4242\n');
    group(path.join(parent, 'brain-in-jar-333'));
    group(path.join(parent, `brain-in-jar-${process.pid}`));
    group(path.join(parent, 'someone-else-444'));
    group(path.join(parent, 'brain-in-jar-x'));
    fs.writeFileSync(path.join(parent, 'brain-in-jar-555'), 'a file, not a group');

    const swept = sweepStaleCgroups(parent, io([333]));
    assert.deepEqual(swept, [path.join(parent, 'brain-in-jar-111')]);
    assert.deepEqual(
      removed.map((dir) => path.relative(parent, dir)).sort(),
      ['brain-in-jar-111', 'brain-in-jar-111/GOD-2', 'brain-in-jar-111/SUBJECT-1'].sort(),
    );
    assert.equal(removed.at(-1), path.join(parent, 'brain-in-jar-111'), "the host's group goes last");
    assert.deepEqual(
      fs.readdirSync(parent).sort(),
      [
        'brain-in-jar-222',
        'brain-in-jar-333',
        'brain-in-jar-555',
        `brain-in-jar-${process.pid}`,
        'brain-in-jar-x',
        'someone-else-444',
      ].sort(),
    );
  });

  it('leaves a group the kernel still holds for the next start', () => {
    const parent = tmp();
    group(path.join(parent, 'brain-in-jar-777'));
    const busy = {
      isAlive: () => false,
      remove: () => {
        throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      },
    };
    assert.deepEqual(sweepStaleCgroups(parent, busy), []);
    assert.deepEqual(sweepStaleCgroups(path.join(parent, 'missing'), busy), []);
  });
});
