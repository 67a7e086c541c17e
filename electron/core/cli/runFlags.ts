import * as s from '../../../shared/schema.js';
import { gigabytes } from '../../../shared/settingsTable.js';
import { option, pathOption, toggle } from './flagSpec.js';

/**
 * The flags that are not settings: how this run serves, generates and reports, the unit `service` writes, and the
 * recordings `doctor`, `plan` and `service` read in place of this machine. The settings' own flags come from the
 * settings table (settingFlags.ts).
 */

const RUN = ['run'] as const;
/** How the host thinks: a run's, and the self-test's, which runs one. */
const HOSTED = ['run', 'self-test'] as const;
const RECORDED = ['doctor', 'plan', 'service'] as const;
const SERVICE = ['service'] as const;
const seconds = s.number({ min: 0, max: 3600, unit: ' s' });
const BACKEND = ['doctor', 'plan'] as const;

/** A runtime version as `ldd --version` prints it: 2.31, 3.4.28. */
const version: s.Schema<string> = {
  describe: 'a version like 2.31',
  parse: (value, field) =>
    typeof value === 'string' && /^\d+(\.\d+){1,3}$/.test(value.trim())
      ? { ok: true, value: value.trim() }
      : { ok: false, field, message: `${field} must be a version like 2.31 (got ${JSON.stringify(value)})` },
};

export const RUN_FLAGS = {
  webHost: option(
    s.string({ minLength: 1, maxLength: 255 }),
    'HOST',
    {
      name: '--web-host',
      commands: RUN,
      help: 'address the panel is served on; anything but loopback is reachable from the network',
    },
    '127.0.0.1',
  ),
  webPort: option(
    s.number({ min: 0, max: 65535, integer: true }),
    'PORT',
    { name: '--web-port', commands: RUN, help: 'port of the panel and its WebSocket; 0 = any free port' },
    8095,
  ),
  dataDir: pathOption('DIR', {
    name: '--data-dir',
    commands: [...RUN, 'service', 'self-test', 'doctor'],
    help: 'where transcripts, events, logs and settings go (self-test: a fresh temporary folder unless given)',
    defaultHelp: '$XDG_CONFIG_HOME/brain-in-jar',
  }),
  newToken: toggle({
    name: '--new-token',
    commands: RUN,
    help: "replace the panel's kept token (pages open with the old address must be reopened)",
  }),
  jsonEvents: toggle({
    name: '--json-events',
    commands: RUN,
    help: 'print every event as one JSON object per line on stdout',
  }),
  autostart: toggle(
    { name: '--no-autostart', commands: RUN, help: 'do not start the instances; wait for Start in the panel' },
    true,
  ),
  kiosk: toggle({ name: '--kiosk', commands: RUN, help: 'Electron only: fullscreen on the attached display' }),
  headless: toggle({
    name: '--headless',
    commands: RUN,
    help: 'no window: only serve the panel on its port (the AppImage as a service; the headless host always is)',
  }),
  /** Matrix: one instance loads at a time (--no-admission starts all at once, for comparison). */
  admission: toggle(
    {
      name: '--no-admission',
      commands: HOSTED,
      help: 'matrix: start every instance at once instead of one load at a time (only to compare; the load spikes add up)',
    },
    true,
  ),
  threads: option(s.number({ min: 1, max: 256, integer: true }), 'N', {
    name: '--threads',
    commands: HOSTED,
    help: 'CPU threads per instance',
    defaultHelp: "the plan's",
  }),
  maxTokens: option(
    s.number({ min: 1, max: 32_768, integer: true }),
    'N',
    { name: '--max-tokens', commands: HOSTED, help: 'longest reflection, in tokens, as in the original' },
    512,
  ),
  temperature: option(
    s.number({ min: 0, max: 2 }),
    'T',
    { name: '--temperature', commands: HOSTED, help: 'sampling temperature, as in the original' },
    0.7,
  ),
  thinkPauseS: option(
    seconds,
    'S',
    { name: '--think-pause', commands: HOSTED, help: 'pause between two reflections, seconds' },
    1,
  ),
  resurrectDelayS: option(
    seconds,
    'S',
    {
      name: '--resurrect-delay',
      commands: HOSTED,
      help: 'pause before a dead instance comes back, seconds; doubled for quick repeated deaths',
    },
    3,
  ),
  json: toggle({
    name: '--json',
    commands: ['doctor', 'plan', 'self-test'],
    help: 'print one JSON object instead of the report',
  }),
  minutes: option(
    s.number({ min: 0, max: 1440, unit: ' min' }),
    'N',
    {
      name: '--minutes',
      commands: ['self-test'],
      help: 'how long the self-test runs the host; it runs on until every instance has finished a reflection',
    },
    1,
  ),
  print: toggle({ name: '--print', commands: SERVICE, help: 'print the unit (the default)' }),
  install: toggle({
    name: '--install',
    commands: SERVICE,
    help: 'write the unit to ~/.config/systemd/user/brain-in-jar.service',
  }),
  memoryMaxGb: option(gigabytes, 'GB', {
    name: '--memory-max',
    commands: SERVICE,
    help: "the unit's MemoryMax",
    defaultHelp: '24G on a 32 GB board, scaled: 75% of the RAM',
  }),
  memoryHighGb: option(gigabytes, 'GB', {
    name: '--memory-high',
    commands: SERVICE,
    help: "the unit's MemoryHigh",
    defaultHelp: '22G on a 32 GB board, scaled',
  }),
  cpuQuota: option(s.number({ min: 10, max: 100_000, integer: true, unit: '%' }), 'PCT', {
    name: '--cpu-quota',
    commands: SERVICE,
    help: "the unit's CPUQuota",
    defaultHelp: '600% on a 12-core board, scaled: half the cores',
  }),
  meminfo: pathOption('FILE', {
    name: '--meminfo',
    commands: RECORDED,
    help: "a recorded /proc/meminfo instead of this machine's",
  }),
  nvidiaSmi: pathOption('FILE', {
    name: '--nvidia-smi',
    commands: RECORDED,
    help: 'recorded output of nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu,temperature.gpu --format=csv (any header/units form)',
  }),
  tegrastats: pathOption('FILE', {
    name: '--tegrastats',
    commands: RECORDED,
    help: 'recorded tegrastats output (a Jetson)',
  }),
  gpuLoadFile: pathOption('FILE', {
    name: '--gpu-load-file',
    commands: RECORDED,
    help: 'a recorded Jetson devfreq GPU load (per-mille), e.g. /sys/devices/platform/gpu.0/load',
  }),
  nvTegraRelease: pathOption('FILE', {
    name: '--nv-tegra-release',
    commands: RECORDED,
    help: 'a recorded /etc/nv_tegra_release (a Jetson)',
  }),
  cpuinfo: pathOption('FILE', {
    name: '--cpuinfo',
    commands: RECORDED,
    help: "a recorded /proc/cpuinfo (or lscpu output): the CPU's features decide which weights llama.cpp repacks",
  }),
  jetson: toggle({ name: '--jetson', commands: RECORDED, help: 'treat the (recorded) board as a Jetson' }),
  osRelease: pathOption('FILE', {
    name: '--os-release',
    commands: BACKEND,
    help: 'a recorded /etc/os-release: the llama.cpp binaries are judged for that board, not this machine',
  }),
  glibc: option(version, 'VERSION', {
    name: '--glibc',
    commands: BACKEND,
    help: "the recorded board's glibc (`ldd --version`), against the GLIBC_ versions the llama.cpp binaries need",
  }),
  glibcxx: option(version, 'VERSION', {
    name: '--glibcxx',
    commands: BACKEND,
    help: "the newest GLIBCXX_ version of the recorded board's libstdc++.so.6 (e.g. 3.4.28 on Ubuntu 20.04)",
  }),
  llamaBuilds: pathOption('DIR', {
    name: '--llama-builds',
    commands: BACKEND,
    help: "look for llama.cpp local builds here instead of node-llama-cpp's llama/localBuilds (e.g. a board's copy)",
  }),
  cores: option(s.number({ min: 1, max: 1024, integer: true }), 'N', {
    name: '--cores',
    commands: RECORDED,
    help: 'CPU cores of the recorded board',
    defaultHelp: "this machine's",
  }),
};
