import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import type { HostEvent } from '../shared/events.js';
import { onLines } from '../electron/core/lines.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The built headless host (as shipped, no tsx) with --json-events, for the benchmarks. */
export class BenchHost {
  readonly events: HostEvent[] = [];
  readonly child: ChildProcess;
  readonly dataDir: string;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-'));
    this.child = spawn(
      process.execPath,
      [
        path.join(root, 'dist/electron/headless.js'),
        '--json-events',
        '--web-port',
        '0',
        '--data-dir',
        this.dataDir,
        ...args,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
    );
    onLines(this.child.stdout!, (line) => {
      this.events.push(JSON.parse(line) as HostEvent);
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('benchmark host: timed out')), timeoutMs);
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== check);
        resolve(value);
      };
      this.waiters.push(check);
      check();
    });
  }

  event<T extends HostEvent['type']>(
    type: T,
    accept: (event: Extract<HostEvent, { type: T }>) => boolean = () => true,
  ) {
    return this.waitFor(() =>
      this.events.find(
        (event): event is Extract<HostEvent, { type: T }> =>
          event.type === type && accept(event as Extract<HostEvent, { type: T }>),
      ),
    );
  }

  /** One api call over the host's WebSocket. */
  async call(method: string, params: unknown): Promise<{ ok: boolean }> {
    const ready = await this.event('host.ready');
    const url = new URL(ready.url);
    const socket = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const reply = await new Promise<{ ok: boolean }>((resolve) => {
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; ok?: boolean };
        if (message.id === 1) resolve(message as { ok: boolean });
      });
      socket.send(JSON.stringify({ id: 1, method, params }));
    });
    socket.close();
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await new Promise((resolve) => this.child.once('exit', resolve));
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
