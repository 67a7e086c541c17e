import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

import { HostProcess } from '../helpers/hostProcess.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A second host started by hand on a port that is taken: its exit, what it said, and what it logged. */
function startOn(port: number) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-startup-'));
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'electron/headless.ts'), '--web-port', String(port), '--data-dir', dataDir],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  const log = path.join(dataDir, 'logs', 'startup.log');
  return { status: result.status, stderr: result.stderr, log: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
}

describe('a host that cannot start says why, where the operator looks', { timeout: 90_000 }, () => {
  it('names another Brain in a Jar on the port (the service, say) and how to reach or stop it', async () => {
    const first = HostProcess.start(['--no-autostart']);
    try {
      const port = Number(new URL((await first.waitFor('host.ready')).url).port);
      const second = startOn(port);
      assert.equal(second.status, 1);
      assert.match(
        second.stderr,
        /another Brain in a Jar host .* already serves the panel on http:\/\/127\.0\.0\.1:\d+\//,
      );
      assert.match(second.stderr, /systemctl --user stop brain-in-jar/);
      assert.match(second.log, /already serves the panel/, 'written to logs/startup.log in the data folder too');
    } finally {
      await first.stop();
    }
  });

  it('tells a port held by another program apart', async () => {
    const server = net.createServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const second = startOn((server.address() as net.AddressInfo).port);
      assert.equal(second.status, 1);
      assert.match(second.stderr, /in use by another program; choose another with --web-port/);
      assert.match(second.log, /in use by another program/);
    } finally {
      server.close();
    }
  });
});
