import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { formatGb, GIB, MIB, type BoardInventory, type BoardResources } from '../../../shared/board.js';
import { ROLES } from '../../../shared/instances.js';
import type { Plan, PlanOutcome } from '../../../shared/plan.js';
import { applySettingsPatch, DEFAULT_SETTINGS } from '../../../shared/settings.js';
import { INVENTORY_DEADLINE_MS } from '../board/inventory.js';
import { thisBoardInventory } from '../board/inventoryProbe.js';
import { readJetsonSystem, unrecordedJetsonSystem } from '../board/jetsonSystem.js';
import { defaultRamLimitBytes, defaultReserveBytes } from '../planner/budget.js';
import { planForSettings, resourcesFor, rolesOf, type RecordedInputs } from '../planner/planInputs.js';
import { seedConfig, type SeedConfig } from '../planner/seed.js';
import { formatSize } from '../../../shared/dataFolder.js';
import { dataDirOf, defaultDataDir } from '../store/dataDir.js';
import { measureDataFolder, type DataFolderReport } from '../store/dataFolderWatch.js';
import { detectEnforcement } from '../enforcement/enforcement.js';
import { lineHolds, MIN_INTERVAL_MS } from '../watchdog/lineHolds.js';
import { userUnitMemoryLimits } from './serviceLimits.js';
import { hostCommand, thisRuntime } from './hostCommand.js';
import { defaultServiceLimits, installUnit, renderServiceUnit, type ServiceLimits } from './serviceUnit.js';
import type { Flags } from './args.js';
import { budgetFlagRefusal, modelFlagRefusal } from './flagRefusal.js';
import { flagsToSettingsPatch } from './settingFlags.js';
import { describeJetsonSystem, describeLlama, describeLlamaLine } from './describeBackend.js';

/**
 * `brain-in-jar doctor` and `brain-in-jar plan`: the board and the plan, printed for a person (in the shape of the
 * original's `python3 -m src.utils.model_config`) or as one JSON object (--json). Both take recordings instead of
 * this machine's files, so a Jetson's plan can be reproduced anywhere.
 */

export interface CommandOutput {
  text: string;
  exitCode: number;
}

/** The board the flags describe: their recordings, else this machine (--cores overrides its count either way). */
function boardOf(flags: Flags, probe = true): Promise<BoardResources> {
  const { meminfo, nvidiaSmi, tegrastats, gpuLoadFile, nvTegraRelease, cpuinfo, jetson, osRelease, glibc, glibcxx } =
    flags;
  const recorded: RecordedInputs = {
    meminfo,
    nvidiaSmi,
    tegrastats,
    gpuLoadFile,
    nvTegraRelease,
    cpuinfo,
    jetson,
    osRelease,
    glibc,
    glibcxx,
  };
  return resourcesFor(Object.values(recorded).some(Boolean) ? recorded : null, {
    cores: flags.cores,
    probe,
    llamaBuilds: flags.llamaBuilds,
  });
}

function describeGpu(resources: BoardResources): string[] {
  const { gpu, backend } = resources;
  const lines: string[] = [];
  if (gpu.kind === 'none') {
    lines.push('  GPU: Not available');
  } else if (gpu.kind === 'jetson') {
    lines.push(`  GPU: Available (${gpu.name}), unified memory`);
    lines.push(`  GPU Memory: shared with the RAM, ${formatGb(gpu.memoryTotalBytes ?? 0)} (one pool, one budget)`);
  } else {
    lines.push(`  GPU: Available (${gpu.name})`);
    lines.push(
      gpu.memoryTotalBytes === null
        ? '  GPU Memory: not reported by nvidia-smi'
        : `  GPU Memory: ${Math.round(gpu.memoryTotalBytes / MIB)} MB (${formatGb(gpu.memoryTotalBytes)}), ` +
            `${formatGb(gpu.memoryUsedBytes ?? 0)} in use`,
    );
  }
  if (gpu.loadPercent !== null) lines.push(`  GPU Load: ${gpu.loadPercent.toFixed(1)}%`);
  lines.push(
    backend === null
      ? '  llama.cpp Backend: not probed (recorded board)'
      : `  llama.cpp Backend: ${backend.backend.toUpperCase()}` +
          (backend.backend === 'cpu' ? '' : `, ${formatGb(backend.vramTotalBytes)} seen by node-llama-cpp`) +
          (backend.note ? ` (${backend.note})` : ''),
  );
  return lines;
}

function describeResources(resources: BoardResources): string[] {
  return [
    `[ModelConfig] System Resources (${resources.source}):`,
    ...describeGpu(resources),
    `  System RAM: ${formatGb(resources.ramTotalBytes)} (${formatGb(resources.ramAvailableBytes)} available)`,
    `  CPU Cores: ${resources.cores}`,
  ];
}

function describeInventory(inventory: BoardInventory | null): string[] {
  if (!inventory) return [`  Inventory: systeminformation did not answer within ${INVENTORY_DEADLINE_MS / 1000} s`];
  return [`  CPU: ${inventory.cpu}`, `  OS: ${inventory.os}`, `  System: ${inventory.system}`];
}

function describeDataFolder(report: DataFolderReport): string[] {
  const free =
    report.freeBytes === null || report.totalBytes === null
      ? 'not measured'
      : `${formatSize(report.freeBytes)} of ${formatSize(report.totalBytes)}` +
        (report.state === 'low' ? ' (low: make room before the disk is full)' : '');
  return [
    `[Data folder] ${report.path}${report.exists ? '' : ' (not made yet)'}`,
    `  Holds: ${formatSize(report.dataDirBytes)} in ${report.sessions} sessions`,
    `  Free on its disk: ${free}`,
  ];
}

function describeSeed(title: string, config: SeedConfig, gpu: boolean): string[] {
  return [
    `[ModelConfig] Recommended Configuration (${title}):`,
    `  Context Window: ${config.contextSize}`,
    `  Batch Size: ${config.batchSize}`,
    `  CPU Threads: ${config.threads}`,
    ...(gpu ? [`  GPU Layers: ${config.gpuLayers}`] : []),
    `  Mode: ${config.mode}`,
  ];
}

export async function doctor(flags: Flags): Promise<CommandOutput> {
  // Worth its wait here (up to its deadline), unlike at the host's start; a recorded board has no inventory field.
  const [measured, inventory] = await Promise.all([boardOf(flags), thisBoardInventory()]);
  const resources = measured.inventory === undefined ? measured : { ...measured, inventory };
  // This machine's zram, power mode and clocks (each with a deadline); a recorded board's were not recorded.
  const jetsonSystem =
    measured.inventory === undefined
      ? unrecordedJetsonSystem()
      : await readJetsonSystem(resources.gpu.kind === 'jetson');
  const enforcement = await detectEnforcement();
  enforcement.dispose?.();
  const lineHold = lineHolds({
    enforcement: enforcement.info.kind,
    kernelLinesFailed: enforcement.kernelLines ? null : 'none',
    baseIntervalMs: (flagsToSettingsPatch(flags).intervalS ?? DEFAULT_SETTINGS.intervalS) * 1000,
    minIntervalMs: MIN_INTERVAL_MS,
    nvmap: resources.gpu.kind === 'jetson',
  });
  const dataFolder = measureDataFolder(dataDirOf(flags));
  const single = seedConfig(resources, { aggressive: flags.aggressive, concurrentModels: 1 });
  const matrix = seedConfig(resources, { aggressive: flags.aggressive, concurrentModels: 3 });
  const reserveBytes =
    flags.reserveGb !== undefined ? flags.reserveGb * GIB : defaultReserveBytes(resources.ramTotalBytes);
  const limits = Object.fromEntries(ROLES.map((role) => [role, defaultRamLimitBytes(role, resources.ramTotalBytes)]));
  if (flags.json) {
    return {
      text: JSON.stringify({
        resources,
        recommended: { single, matrix },
        budget: { reserveBytes, ramLimitBytes: limits },
        enforcement: enforcement.info,
        lines: lineHold,
        serviceMemoryLimits: userUnitMemoryLimits(),
        jetsonSystem,
        dataFolder,
      }),
      exitCode: 0,
    };
  }
  const gpu = resources.gpu.kind !== 'none';
  const lines = [
    ...describeResources(resources),
    ...(resources.inventory === undefined ? [] : describeInventory(resources.inventory)),
    '',
    ...(resources.llama ? [...describeLlama(resources.llama), ''] : []),
    ...describeJetsonSystem(jetsonSystem),
    '',
    ...describeSeed('single mode, 1 model', single, gpu),
    '',
    ...describeSeed('matrix mode, 3 models', matrix, gpu),
    '',
    '[Budget]',
    `  Kept for the system: ${formatGb(reserveBytes)}; the instances' limits may add up to ${formatGb(resources.ramTotalBytes - reserveBytes)}`,
    `  Default RAM limits: ${ROLES.map((role) => `${role} ${formatGb(limits[role]!)}`).join(', ')}`,
    `  Per-instance limits enforced by: ${enforcement.info.label} (${enforcement.info.reason})`,
    ...lineHold.map((hold) => `  The ${hold.line} line is held by: ${hold.label}`),
    `  The service unit's MemoryMax/MemoryHigh: ${serviceLimitsLine(userUnitMemoryLimits())}`,
    '',
    ...describeDataFolder(dataFolder),
    '',
    "These are the original's seed tiers, which do not look at the model.",
    '`brain-in-jar plan --model FILE` fits real models to this board.',
  ];
  return { text: lines.join('\n'), exitCode: 0 };
}

function describePlan(plan: Plan): string[] {
  const { budgets } = plan;
  const header = [
    'instance',
    'strategy',
    'GPU layers',
    'context',
    'batch',
    'threads',
    'RAM loaded',
    'RAM thinking',
    'GPU est.',
    'limit',
    'limited by',
  ];
  const rows = plan.instances.map((instance) => [
    instance.instance,
    instance.strategy,
    `${instance.gpuLayers}/${instance.totalLayers}`,
    String(instance.contextSize),
    String(instance.batchSize),
    String(instance.threads),
    formatGb(instance.estimate.ramLoadedBytes),
    formatGb(instance.estimate.ramBytes),
    formatGb(instance.estimate.gpuBytes),
    formatGb(instance.ramLimitBytes),
    instance.limitedBy,
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [
    '[Plan]',
    `  RAM limits: ${formatGb(budgets.limitsTotalBytes)} of ${formatGb(budgets.ramTotalBytes - budgets.reserveBytes)} ` +
      `(${formatGb(budgets.reserveBytes)} kept for the system)`,
    budgets.gpuBudgetBytes === null
      ? '  GPU budget: none (no usable GPU)'
      : `  ${budgets.unified ? 'Shared memory' : 'GPU'} budget: ${formatGb(budgets.gpuBudgetBytes)}` +
        ` (${formatGb(budgets.gpuOthersBytes)} in use by others)`,
    '',
    `  ${line(header)}`,
    ...rows.map((row) => `  ${line(row)}`),
    ...plan.instances.flatMap((instance) => [
      `  ${instance.instance}: ${instance.modelPath}`,
      ...instance.warnings.map((warning) => `  ${instance.instance} warning: ${warning}`),
      ...(instance.notes ?? []).map((note) => `  ${instance.instance} note: ${note}`),
    ]),
  ];
}

/** A command line `plan` cannot run: exit 2, the flags named, as one JSON object with --json. */
function refused(flags: Flags, error: { code: string; message: string; flags?: string[] }): CommandOutput {
  return { text: flags.json ? JSON.stringify({ error }) : `brain-in-jar: ${error.message}`, exitCode: 2 };
}

export async function planCommand(flags: Flags): Promise<CommandOutput> {
  const settings = applySettingsPatch(DEFAULT_SETTINGS, flagsToSettingsPatch(flags));
  const missing = rolesOf(settings.mode).filter((role) => !settings.models[role]);
  if (missing.length > 0) {
    const message = `give a model: --model PATH, or --model-${missing[0]!.toLowerCase()} PATH`;
    return refused(flags, { code: 'INVALID_PARAMS', message });
  }
  const badModel = modelFlagRefusal(flags);
  if (badModel) return refused(flags, badModel);
  const resources = await boardOf(flags);
  const overBudget = budgetFlagRefusal(flags, settings, resources);
  if (overBudget) return refused(flags, overBudget);
  const outcome: PlanOutcome = planForSettings({ settings, resources, modelOf: (role) => settings.models[role]! });
  if (flags.json) {
    const body = outcome.ok
      ? { resources, budgets: outcome.plan.budgets, instances: outcome.plan.instances }
      : { resources, error: outcome.error };
    return { text: JSON.stringify(body), exitCode: outcome.ok ? 0 : 1 };
  }
  const lines = [...describeResources(resources), ...describeLlamaLine(resources.llama), ''];
  if (outcome.ok) lines.push(...describePlan(outcome.plan));
  else lines.push(`Refused (${outcome.error.code}): ${outcome.error.message}`);
  return { text: lines.join('\n'), exitCode: outcome.ok ? 0 : 1 };
}

/** The built headless entry: this file's sibling when built, dist/ under the repository when run from source. */
function headlessScript(): string {
  const here = fileURLToPath(import.meta.url);
  return path.extname(here) === '.ts'
    ? path.resolve(path.dirname(here), '../../../dist/electron/headless.js')
    : path.resolve(path.dirname(here), '../../headless.js');
}

export async function serviceCommand(flags: Flags): Promise<CommandOutput> {
  const resources = await boardOf(flags, false);
  const defaults = defaultServiceLimits(resources.ramTotalBytes, resources.cores);
  const limits: ServiceLimits = {
    memoryMaxBytes: flags.memoryMaxGb !== undefined ? flags.memoryMaxGb * GIB : defaults.memoryMaxBytes,
    memoryHighBytes: flags.memoryHighGb !== undefined ? flags.memoryHighGb * GIB : defaults.memoryHighBytes,
    cpuQuotaPercent: flags.cpuQuota ?? defaults.cpuQuotaPercent,
  };
  if (limits.memoryHighBytes > limits.memoryMaxBytes) {
    return {
      text: `brain-in-jar: --memory-high (${formatGb(limits.memoryHighBytes)}) must not exceed --memory-max (${formatGb(limits.memoryMaxBytes)})`,
      exitCode: 2,
    };
  }
  if (limits.memoryMaxBytes > resources.ramTotalBytes) {
    return {
      text: `brain-in-jar: --memory-max (${formatGb(limits.memoryMaxBytes)}) is more than this board's RAM (${formatGb(resources.ramTotalBytes)})`,
      exitCode: 2,
    };
  }
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir());
  const host = hostCommand(thisRuntime(headlessScript()), [
    '--data-dir',
    dataDir,
    ...(flags.mode ? ['--mode', flags.mode] : []),
  ]);
  const electron = host.env.ELECTRON_RUN_AS_NODE === '1';
  const text = renderServiceUnit({ command: host.argv, limits, electron });
  if (!flags.install) return { text: text.trimEnd(), exitCode: 0 };
  if (!fs.existsSync(host.entry)) {
    return {
      text: `brain-in-jar: ${host.entry} is missing; run \`npm run build\` first, then install the unit`,
      exitCode: 1,
    };
  }
  const file = installUnit(text);
  return {
    text: [
      `Wrote ${file}`,
      'Start it now and at every login:',
      '  systemctl --user daemon-reload',
      '  systemctl --user enable --now brain-in-jar',
    ].join('\n'),
    exitCode: 0,
  };
}

function serviceLimitsLine(limits: { enforced: boolean; reason: string }): string {
  return limits.enforced ? `enforced (${limits.reason})` : `NOT enforced: ${limits.reason}`;
}
