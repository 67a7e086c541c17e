import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { METHODS, MAX_MESSAGE_BYTES, type MethodName } from '../shared/api.js';
import { ERROR_CODES } from '../shared/errors.js';
import type { HostEvent } from '../shared/events.js';
import { ROLES, type InstanceSnapshot, type Role } from '../shared/instances.js';
import { dataPaths } from '../electron/core/store/dataDir.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { integer, pick, seededRandom, validValue, variantsOf, type Rng } from '../tests/helpers/schemaCases.js';
import { WsClient } from '../tests/helpers/wsClient.js';
import { round } from './stats.js';
import { soakFailures, type SoakFigures } from './soakVerdict.js';

/**
 * The built host in matrix mode on the demo model for N minutes, while this run kills a thinking worker every ~15 s
 * (kill -9 from outside, or the api's instances.kill) and makes random api calls in between: valid ones (settings
 * within their bounds, board.refresh, stop and start, single and back to matrix) and invalid ones generated from
 * the shared schemas. At the end it reads the host's RSS and fds from /proc, its children's states, its death
 * records (events, events.jsonl, deaths.json, the api) and its last-resort count, and soakVerdict.ts judges them.
 */

const DEATH_WAIT_MS = 30_000;
const ALL_THINKING_WAIT_MS = 180_000;
const CALL_TIMEOUT_MS = 20_000;
/** Lines of stderr or of the logs that tell of an error nobody handled. */
const UNHANDLED = /caught an? (uncaught|unhandled)|unhandledRejection|uncaughtException|^\s*at .+:\d+:\d+\)?$/im;

interface Call {
  method: MethodName | string;
  params: unknown;
  what: string;
}

/** Settings changes within bounds that leave the kills the only deaths: no line the machine's use could cross. */
function validSettingsPatch(rng: Rng): Record<string, unknown> {
  return pick(rng, [
    () => ({ victimPolicy: pick(rng, ['largest', 'role-order']) }),
    () => ({ graceS: integer(rng, 1, 5) }),
    () => ({ intervalS: pick(rng, [0.5, 1, 2]) }),
    () => ({ thermalC: integer(rng, 85, 120) }),
    () => ({ retentionDays: integer(rng, 30, 3650) }),
    () => ({ gpuThreshold: integer(rng, 85, 100) }),
    () => ({ warnThreshold: integer(rng, 60, 80), ramThreshold: integer(rng, 85, 95) }),
  ])();
}

function validCall(rng: Rng): Call {
  return pick(rng, [
    () => ({ method: 'host.snapshot', params: {}, what: 'snapshot' }),
    () => ({ method: 'settings.get', params: {}, what: 'settings.get' }),
    () => ({ method: 'plan.get', params: {}, what: 'plan.get' }),
    () => ({ method: 'board.refresh', params: {}, what: 'board.refresh' }),
    () => ({ method: 'instances.start', params: {}, what: 'start all (already running)' }),
    () => {
      const patch = validSettingsPatch(rng);
      return { method: 'settings.set', params: patch, what: `settings.set ${JSON.stringify(patch)}` };
    },
    () => {
      const patch = validSettingsPatch(rng);
      return { method: 'plan.preview', params: { patch }, what: `plan.preview ${JSON.stringify(patch)}` };
    },
  ])();
}

/** An invalid call: a valid one with one thing changed (shared/schema's variants), out of bounds, or no such method. */
function invalidCall(rng: Rng): Call {
  if (rng() < 0.1) return { method: 'instances.explode', params: {}, what: 'an unknown method' };
  if (rng() < 0.2) {
    const patch = pick(rng, [{ ramThreshold: 150 }, { intervalS: 0 }, { warnThreshold: 99, ramThreshold: 90 }]);
    return { method: 'settings.set', params: patch, what: `settings.set ${JSON.stringify(patch)}` };
  }
  const method = pick(rng, Object.keys(METHODS) as MethodName[]);
  const schema = METHODS[method];
  const variants = variantsOf(schema, validValue(schema, rng), rng).filter(
    (variant) =>
      // Some variants are still valid (a role in upper case, another text): the schema says which, as in the fuzz test.
      !schema.parse(variant.value ?? {}, '').ok &&
      // A message over the limit is refused before its id is read; its reply has no id to wait for.
      (JSON.stringify(variant.value) ?? '').length < MAX_MESSAGE_BYTES / 2,
  );
  const variant = pick(rng, variants);
  return { method, params: variant.value, what: `${method} ${variant.what}` };
}

function hostRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return round(Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024, 1);
}

/** The fewest open fds over a few readings: one taken while a probe's pipes are open says nothing of a leak. */
async function hostFds(pid: number): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < 5; i++) {
    counts.push(fs.readdirSync(`/proc/${pid}/fd`).length);
    await sleep(200);
  }
  return Math.min(...counts);
}

/** Descendants of `pid` in state Z, from /proc/<pid>/stat of every process. */
function zombiesUnder(root: number): string[] {
  const processes = new Map<number, { ppid: number; state: string; command: string }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      processes.set(Number(entry), {
        state: fields[0]!,
        ppid: Number(fields[1]),
        command: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  const under = (pid: number): boolean => {
    for (let p = processes.get(pid)?.ppid; p !== undefined && p > 1; p = processes.get(p)?.ppid) {
      if (p === root) return true;
    }
    return false;
  };
  return [...processes.entries()]
    .filter(([pid, info]) => info.state === 'Z' && under(pid))
    .map(([pid, info]) => `${pid} (${info.command})`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countLines(file: string, test: (record: { type?: string }) => boolean): number {
  if (!fs.existsSync(file)) return 0;
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && test(JSON.parse(line) as { type?: string })).length;
}

export async function benchSoak(options: {
  minutes: number;
  seed: number;
  log: (line: string) => void;
}): Promise<SoakFigures> {
  const rng = seededRandom(options.seed);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-soak-'));
  const host = HostProcess.startBuilt(['--mode', 'matrix', '--threads', '1'], undefined, dataDir, 'pipe');
  const figures: SoakFigures = {
    minutes: options.minutes,
    seed: options.seed,
    host: { pid: host.pid, rssStartMb: 0, rssEndMb: 0, fdsStart: 0, fdsEnd: 0 },
    kills: { sent: 0, external: 0, api: 0, skipped: 0 },
    deaths: { events: 0, eventsFile: 0, deathsFile: 0, api: 0, byCause: {} },
    unmatchedKills: [],
    zombies: [],
    caught: null,
    unhandled: [],
    calls: { valid: 0, validOk: 0, invalid: 0, invalidRefused: 0, badAnswers: [], invalidAccepted: [] },
    exit: null,
  };
  // Every event passes through here once; the host's own lists are emptied as we go (an hour holds millions).
  const deaths: Array<Extract<HostEvent, { type: 'instance.death' }>> = [];
  const drain = () => {
    for (const event of host.events) {
      if (event.type === 'instance.death') {
        deaths.push(event);
        figures.deaths.byCause[event.cause] = (figures.deaths.byCause[event.cause] ?? 0) + 1;
      }
      if (event.type === 'log' && (UNHANDLED.test(event.message) || /^caught /.test(event.message))) {
        figures.unhandled.push(`[${event.source}] ${event.message.slice(0, 300)}`);
      }
    }
    host.events.length = 0;
    host.arrivals.length = 0;
  };
  let client: WsClient | null = null;
  try {
    const ready = await host.waitFor('host.ready', () => true, 90_000);
    client = await WsClient.connect(ready.url);
    const ws = client;
    // The client's own list of pushes would grow for the hour as well; this run reads the host's stream instead.
    ws.onPush(() => {
      ws.pushes.length = 0;
    });
    const call = async (method: string, params: unknown): Promise<{ ok: boolean; code?: string; result?: unknown }> => {
      const reply = await Promise.race([ws.call(method, params), sleep(CALL_TIMEOUT_MS).then(() => null)]);
      if (reply === null) return { ok: false, code: 'NO_ANSWER' };
      if (reply.ok) return { ok: true, result: reply.result };
      return { ok: false, code: reply.error?.code };
    };
    const snapshotInstances = async (): Promise<InstanceSnapshot[]> => {
      const reply = await call('host.snapshot', {});
      return reply.ok ? (reply.result as { instances: InstanceSnapshot[] }).instances : [];
    };
    const allThinking = async (what: string) => {
      const started = Date.now();
      while (Date.now() - started < ALL_THINKING_WAIT_MS) {
        drain();
        const instances = await snapshotInstances();
        if (instances.length === ROLES.length && instances.every((i) => i.state === 'thinking')) return;
        await sleep(500);
      }
      throw new Error(`the three instances were not thinking ${ALL_THINKING_WAIT_MS / 1000} s ${what}`);
    };

    await allThinking('after the start');
    figures.host.rssStartMb = hostRssMb(host.pid);
    figures.host.fdsStart = await hostFds(host.pid);
    options.log(`  started: host pid ${host.pid}, RSS ${figures.host.rssStartMb} MB, ${figures.host.fdsStart} fds`);

    const answered = (what: string, reply: { ok: boolean; code?: string }) => {
      if (reply.ok) return;
      if (!reply.code || !(ERROR_CODES as readonly string[]).includes(reply.code) || reply.code === 'INTERNAL') {
        figures.calls.badAnswers.push(`${what}: ${reply.code ?? 'no code'}`);
      }
    };
    const validAction = async () => {
      figures.calls.valid++;
      const roll = rng();
      if (roll < 0.08) {
        const role = pick(rng, ROLES);
        const stop = await call('instances.stop', { instance: role });
        answered(`stop ${role}`, stop);
        await sleep(integer(rng, 500, 3000));
        const start = await call('instances.start', { instance: role });
        answered(`start ${role}`, start);
        if (stop.ok && start.ok) figures.calls.validOk++;
        return;
      }
      if (roll < 0.12) {
        const single = await call('mode.switch', { mode: 'single' });
        answered('mode.switch single', single);
        await sleep(integer(rng, 1000, 5000));
        const matrix = await call('mode.switch', { mode: 'matrix' });
        answered('mode.switch matrix', matrix);
        if (single.ok && matrix.ok) figures.calls.validOk++;
        return;
      }
      const { method, params, what } = validCall(rng);
      const reply = await call(method, params);
      answered(what, reply);
      if (reply.ok) figures.calls.validOk++;
    };
    const invalidAction = async () => {
      const { method, params, what } = invalidCall(rng);
      figures.calls.invalid++;
      const reply = await call(method, params);
      if (reply.ok) figures.calls.invalidAccepted.push(what.slice(0, 200));
      else {
        answered(what.slice(0, 200), reply);
        figures.calls.invalidRefused++;
      }
    };
    const kill = async () => {
      const thinking = (await snapshotInstances()).filter((i) => i.state === 'thinking' && i.pid !== null);
      if (thinking.length === 0) {
        figures.kills.skipped++;
        return;
      }
      const victim = pick(rng, thinking);
      const pid = victim.pid!;
      const external = rng() < 0.5;
      const seen = deaths.length;
      if (external) {
        process.kill(pid, 'SIGKILL');
        figures.kills.external++;
      } else {
        const reply = await call('instances.kill', { instance: victim.instance });
        if (!reply.ok) {
          // It left the thinking state between the snapshot and the kill: nothing was sent.
          figures.kills.skipped++;
          return;
        }
        figures.kills.api++;
      }
      figures.kills.sent++;
      const started = Date.now();
      while (Date.now() - started < DEATH_WAIT_MS) {
        drain();
        if (deaths.slice(seen).some((death) => death.pid === pid)) return;
        await sleep(100);
      }
      figures.unmatchedKills.push(`${external ? 'kill -9' : 'instances.kill'} ${victim.instance} pid ${pid}`);
    };

    const deadline = Date.now() + options.minutes * 60_000;
    let nextKill = Date.now() + integer(rng, 10_000, 20_000);
    let lastReport = Date.now();
    while (Date.now() < deadline) {
      drain();
      if (Date.now() >= nextKill) {
        await kill();
        nextKill = Date.now() + integer(rng, 10_000, 20_000);
      } else if (rng() < 0.5) {
        await validAction();
      } else {
        await invalidAction();
      }
      if (Date.now() - lastReport > 60_000) {
        lastReport = Date.now();
        options.log(
          `  ${Math.round((deadline - Date.now()) / 60_000)} min left: ${figures.kills.sent} kills, ${deaths.length} deaths, host RSS ${hostRssMb(host.pid)} MB`,
        );
      }
      await sleep(integer(rng, 200, 1500));
    }

    await allThinking('at the end');
    await sleep(2000);
    drain();
    figures.host.rssEndMb = hostRssMb(host.pid);
    figures.host.fdsEnd = await hostFds(host.pid);
    figures.zombies = zombiesUnder(host.pid);
    const snapshot = await call('host.snapshot', {});
    if (snapshot.ok) {
      const result = snapshot.result as { caught?: number; instances: InstanceSnapshot[]; sessionId: string };
      figures.caught = result.caught ?? null;
      figures.deaths.api = result.instances.reduce((sum, i) => sum + i.deaths, 0);
      const paths = dataPaths(dataDir);
      figures.deaths.eventsFile = countLines(
        path.join(paths.sessions, result.sessionId, 'events.jsonl'),
        (record) => record.type === 'instance.death',
      );
      const counts = JSON.parse(fs.readFileSync(paths.deaths, 'utf8')) as Partial<Record<Role, number>>;
      figures.deaths.deathsFile = ROLES.reduce((sum, role) => sum + (counts[role] ?? 0), 0);
    }
    figures.deaths.events = deaths.length;
  } finally {
    client?.close();
    await host.stop(30_000);
    figures.exit = host.exited;
    drain();
    for (const line of host.stderr.join('').split('\n')) {
      if (UNHANDLED.test(line)) figures.unhandled.push(`(stderr) ${line.slice(0, 300)}`);
    }
    const logs = dataPaths(dataDir).logs;
    for (const file of fs.existsSync(logs) ? fs.readdirSync(logs) : []) {
      for (const line of fs.readFileSync(path.join(logs, file), 'utf8').split('\n')) {
        if (/caught an? (uncaught|unhandled)/.test(line)) figures.unhandled.push(`(${file}) ${line.slice(0, 300)}`);
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return figures;
}

export { soakFailures };
