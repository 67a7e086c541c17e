import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import { StreamMonitor } from '../../electron/core/sampler/streamMonitor.js';
import { killGroup, stuckTool } from '../../electron/core/toolProcess.js';
import { ToolQuery } from '../../electron/core/toolQuery.js';
import { GOOD_LINE, nvidiaSmiStandIn, type StandIn } from '../helpers/gpuStandIns.js';

const standIns: StandIn[] = [];
const standIn = (...behaviour: Parameters<typeof nvidiaSmiStandIn>) => {
  const made = nvidiaSmiStandIn(...behaviour);
  standIns.push(made);
  return made;
};
after(() => {
  for (const made of standIns) {
    for (const pid of made.processes()) killGroup(pid, 'SIGKILL');
    made.remove();
  }
});

const until = async (check: () => boolean, what: string, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

const query = (command: string, options: Partial<ConstructorParameters<typeof ToolQuery>[0]> = {}) =>
  new ToolQuery({ command: () => command, args: ['--query-gpu=name', '--format=csv'], deadlineMs: 300, ...options });

describe('one query of an external tool, with a deadline', () => {
  it('answers with what the tool printed', async () => {
    const tool = standIn('good');
    const outcome = await query(tool.path, { deadlineMs: 5000 }).run();
    assert.deepEqual(outcome, { kind: 'exited', code: 0, signal: null, stdout: `${GOOD_LINE}\n`, stderr: '' });
  });

  it('kills a tool that ignores SIGTERM at the deadline, with the child it started', async () => {
    const tool = standIn('hang-child');
    const started = Date.now();
    const outcome = await query(tool.path).run();
    assert.deepEqual(outcome, { kind: 'failed', reason: 'nvidia-smi did not answer in 0.3 s; killed' });
    assert.ok(Date.now() - started < 2000, 'answered soon after the deadline');
    await until(() => tool.processes().length === 0, 'the script and its child to be gone');
  });

  it('runs one process for many concurrent calls, which share its answer', async () => {
    const tool = standIn('hang');
    const shared = query(tool.path);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => shared.run()));
    assert.equal(tool.starts().length, 1);
    assert.ok(outcomes.every((outcome) => outcome === outcomes[0]));
  });

  it('says a missing command is missing, not failed', async () => {
    assert.deepEqual(await query('/no/such/nvidia-smi').run(), {
      kind: 'missing',
      reason: 'nvidia-smi is not installed',
    });
  });

  // A process in D state cannot be made here; a kill that the process survives stands in for the driver holding it.
  it('abandons a process that SIGKILL cannot end, and starts no other of that tool while it lives', async () => {
    const tool = standIn('hang');
    const survives = query(tool.path, { kill: () => undefined, killWaitMs: 200 });
    const first = await survives.run();
    assert.equal(first.kind, 'failed');
    assert.match(
      (first as { reason: string }).reason,
      /^nvidia-smi did not answer in 0\.3 s and cannot be killed \(pid \d+, stuck in the kernel\?\)/,
    );
    const stuck = stuckTool(tool.path);
    assert.ok(stuck, 'reported as stuck');
    assert.deepEqual(tool.processes(), [stuck.pid]);

    // Neither another query nor the long-running monitor starts a second one.
    const again = await query(tool.path).run();
    assert.match((again as { reason: string }).reason, /^nvidia-smi \(pid \d+\) is stuck and cannot be killed/);
    const monitor = new StreamMonitor({
      command: tool.path,
      args: ['-lms', '100'],
      staleAfterMs: 1000,
      onLine: () => true,
      backoff: { firstMs: 50, maxMs: 50, healthyAfterMs: 1000 },
    });
    monitor.start();
    assert.equal(monitor.health().state, 'stuck');
    assert.equal(monitor.starts, 0);
    assert.equal(tool.starts().length, 1);

    // The driver lets it go: the tool is run again.
    killGroup(stuck.pid, 'SIGKILL');
    // (An abandoned process does not hold the event loop: the polling does, here.)
    await until(() => stuckTool(tool.path) === null, 'the stuck process to be let go');
    await until(() => monitor.starts === 1, 'the monitor to start once it is gone');
    monitor.stop();
    assert.deepEqual(await query(tool.path).run(), {
      kind: 'failed',
      reason: 'nvidia-smi did not answer in 0.3 s; killed',
    });
  });
});
