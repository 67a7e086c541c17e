import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_MODEL_SPEC, generateModel, type ModelSpec } from '../electron/core/gguf/generateModel.js';
import { readProcessMemory } from '../electron/core/sampler/procfs.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { formatTable, median, round } from './stats.js';

/**
 * The planner's RAM estimates against what the worker really holds (RssAnon + RssFile from /proc): the estimate once
 * loaded against the RSS right after the load, and the estimate while thinking (the one the limit must hold) against
 * the peak while it thinks (prompt evaluation fills the compute buffers). Generated models of three sizes, each
 * loaded by the real host and worker on this machine.
 */

const SIZES: Array<{ name: string; spec: Partial<ModelSpec> }> = [
  { name: 'small (2 x 64, f32)', spec: {} },
  {
    name: 'medium (8 x 256, f32)',
    spec: { layers: 8, embedding: 256, feedForward: 688, heads: 8, kvHeads: 8, contextLength: 4096 },
  },
  {
    name: 'large (16 x 512, f32)',
    spec: { layers: 16, embedding: 512, feedForward: 1376, heads: 8, kvHeads: 8, contextLength: 4096 },
  },
];

export interface PlannerRow {
  model: string;
  fileMb: number;
  contextSize: number;
  loadedEstimateMb: number;
  afterLoadMb: number;
  /** (loaded estimate - after load) / after load, in percent: positive when the planner is on the safe side. */
  errorAfterLoadPercent: number;
  estimateMb: number;
  peakMb: number;
  /** (estimate - peak) / peak, in percent. */
  errorPercent: number;
}

export interface PlannerResult {
  runs: number;
  thinkSeconds: number;
  rows: PlannerRow[];
  targetPercent: number;
  withinTarget: boolean;
}

const MB = 2 ** 20;

async function measure(
  model: string,
  thinkSeconds: number,
): Promise<{ estimate: number; loadedEstimate: number; contextSize: number; afterLoad: number; peak: number }> {
  const host = HostProcess.startBuilt(['--model', model, '--threads', '1', '--think-pause', '0']);
  try {
    const planned = await host.waitFor('plan.changed', (event) => event.outcome.ok);
    if (!planned.outcome.ok) throw new Error(planned.outcome.error.message);
    const plan = planned.outcome.plan.instances[0]!;
    const loaded = await host.waitFor('instance.loaded');
    const rss = () => readProcessMemory(loaded.pid)?.rssBytes ?? 0;
    const afterLoad = rss();
    let peak = afterLoad;
    const until = Date.now() + thinkSeconds * 1000;
    while (Date.now() < until) {
      peak = Math.max(peak, rss());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      estimate: plan.estimate.ramBytes,
      loadedEstimate: plan.estimate.ramLoadedBytes,
      contextSize: plan.contextSize,
      afterLoad,
      peak,
    };
  } finally {
    await host.stop();
  }
}

export async function benchPlanner(options: {
  runs: number;
  thinkSeconds: number;
  log: (line: string) => void;
}): Promise<PlannerResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-planner-'));
  const rows: PlannerRow[] = [];
  try {
    for (const size of SIZES) {
      const file = path.join(dir, `${rows.length}.gguf`);
      const bytes = generateModel(file, { ...DEMO_MODEL_SPEC, name: size.name, ...size.spec });
      const runs = [];
      for (let run = 0; run < options.runs; run++) runs.push(await measure(file, options.thinkSeconds));
      const { estimate, loadedEstimate, contextSize } = runs[0]!;
      const afterLoad = median(runs.map((run) => run.afterLoad));
      const peak = median(runs.map((run) => run.peak));
      const row: PlannerRow = {
        model: size.name,
        fileMb: round(bytes / MB, 1),
        contextSize,
        loadedEstimateMb: round(loadedEstimate / MB, 1),
        afterLoadMb: round(afterLoad / MB, 1),
        errorAfterLoadPercent: round(((loadedEstimate - afterLoad) / afterLoad) * 100, 1),
        estimateMb: round(estimate / MB, 1),
        peakMb: round(peak / MB, 1),
        errorPercent: round(((estimate - peak) / peak) * 100, 1),
      };
      rows.push(row);
      options.log(
        `  ${row.model}: after load ${row.afterLoadMb} MB (estimated ${row.loadedEstimateMb}), ` +
          `peak ${row.peakMb} MB (estimated ${row.estimateMb})`,
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const targetPercent = 15;
  return {
    runs: options.runs,
    thinkSeconds: options.thinkSeconds,
    rows,
    targetPercent,
    withinTarget: rows.every(
      (row) => Math.abs(row.errorAfterLoadPercent) <= targetPercent && Math.abs(row.errorPercent) <= targetPercent,
    ),
  };
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value}%`;

export function printPlanner(result: PlannerResult): string {
  return [
    `Planner RAM estimate against the worker's measured RssAnon + RssFile (median of ${result.runs} runs, ${result.thinkSeconds} s of thinking each)`,
    '',
    formatTable(
      ['model', 'file MB', 'context', 'after load MB', 'estimated', 'error', 'peak MB', 'estimated', 'error'],
      result.rows.map((row) => [
        row.model,
        row.fileMb,
        row.contextSize,
        row.afterLoadMb,
        row.loadedEstimateMb,
        signed(row.errorAfterLoadPercent),
        row.peakMb,
        row.estimateMb,
        signed(row.errorPercent),
      ]),
    ),
    '',
    'After load: RSS once the model is loaded, before the first prompt. Peak: the most RSS while it thinks (prompt',
    'evaluation fills the compute buffers, the JS heap grows); the RAM limit is checked against that estimate.',
    `Target: both within ${result.targetPercent}%: ${result.withinTarget ? 'met' : 'NOT met'}`,
  ].join('\n');
}
