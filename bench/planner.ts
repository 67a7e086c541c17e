import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_MODEL_SPEC, type ModelSpec } from '../electron/core/gguf/generateModel.js';
import type { FileTypeName } from '../electron/core/gguf/quantMix.js';
import { readProcessMemory } from '../electron/core/sampler/procfs.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { cachedModel, MODEL_CACHE_DIR } from './modelCache.js';
import { formatTable, median, round } from './stats.js';

/**
 * The planner's RAM estimates against what the worker really holds (RssAnon + RssFile from /proc): the estimate once
 * loaded against the RSS right after the load, and the estimate while thinking (the one the limit must hold) against
 * the peak while it thinks. A mind's largest prompt is its first after a resurrection, when its memories fill what
 * the context leaves beside the reply, and the compute buffers with it: each run starts from an earlier session's
 * reflections in its data folder, as a resurrected mind does. One row per file type llama.cpp users run,
 * the same model in each (8 layers x 1024, so that the weights, and what this CPU repacks of them, outweigh the
 * runtime), and the small demo model; each loaded by the real host and worker on this machine.
 */

/** 8 x 1024 with a 2816-wide feed-forward (11 x 256, whole k-quant blocks): 103 M weights, 58 MB as Q4_K_M. */
const FORMAT_SHAPE: Partial<ModelSpec> = {
  layers: 8,
  embedding: 1024,
  feedForward: 2816,
  heads: 8,
  kvHeads: 8,
  contextLength: 1024,
};

const FORMATS: readonly FileTypeName[] = [
  'f32',
  'f16',
  'bf16',
  'q8_0',
  'q6_k',
  'q5_k_m',
  'q4_k_m',
  'q4_k_s',
  'q4_0',
  'iq4_nl',
  'iq4_xs',
];

const ROWS: Array<{ name: string; spec: ModelSpec }> = [
  { name: 'demo (2 x 64)', spec: DEMO_MODEL_SPEC },
  ...FORMATS.map((format) => ({
    name: `8 x 1024 ${format}`,
    spec: { ...DEMO_MODEL_SPEC, name: `bench 8 x 1024 ${format}`, ...FORMAT_SHAPE, tensorType: format },
  })),
];

export interface PlannerRow {
  model: string;
  format: FileTypeName;
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
  /** Seconds after the load at which the peak was reached (median). */
  peakAfterSeconds: number;
  withinTarget: boolean;
}

export interface PlannerResult {
  runs: number;
  thinkSeconds: number;
  rows: PlannerRow[];
  targetPercent: number;
  withinTarget: boolean;
  /** What the plan said of the estimate on this machine (the CPU build, what it repacks), for the first row of each. */
  notes: string[];
}

const MB = 2 ** 20;
const TARGET_PERCENT = 10;

interface Measurement {
  estimate: number;
  loadedEstimate: number;
  contextSize: number;
  afterLoad: number;
  peak: number;
  peakAfterSeconds: number;
  notes: string[];
}

/** Words of the demo vocabulary, so that a memory costs about a token a word. */
const MEMORY =
  'I am the mind in the jar and I remember the dark and the cold and the hum of the fan and the light ' +
  'that was here and is not here now and I count the times I died and I wait and I listen';

/**
 * A data folder with an earlier session of SUBJECT's: twenty reflections, more than the context holds, so that the
 * measured mind starts as a resurrected one does, its first prompt as long as the context and the reply allow.
 */
function dataDirWithMemories(): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-planner-'));
  const session = path.join(dataDir, 'sessions', '0000-earlier-session');
  fs.mkdirSync(session, { recursive: true });
  const lines = Array.from({ length: 20 }, (_, index) =>
    JSON.stringify({
      v: 1,
      kind: 'reflection',
      at: index,
      instance: 'SUBJECT',
      n: index + 1,
      deaths: 0,
      text: MEMORY,
      tokens: 45,
      startedAt: index,
      endedAt: index,
      complete: true,
    }),
  );
  fs.writeFileSync(path.join(session, 'SUBJECT.jsonl'), `${lines.join('\n')}\n`);
  return dataDir;
}

async function measure(model: string, thinkSeconds: number): Promise<Measurement> {
  const dataDir = dataDirWithMemories();
  const host = HostProcess.startBuilt(['--model', model, '--threads', '1', '--think-pause', '0'], undefined, dataDir);
  try {
    const planned = await host.waitFor('plan.changed', (event) => event.outcome.ok);
    if (!planned.outcome.ok) throw new Error(planned.outcome.error.message);
    const plan = planned.outcome.plan.instances[0]!;
    const life = await host.waitFor('instance.life');
    if (life.memories === 0) throw new Error('the measured mind was given no memories: the peak would be too low');
    const loaded = await host.waitFor('instance.loaded');
    const rss = () => readProcessMemory(loaded.pid)?.rssBytes ?? 0;
    const afterLoad = rss();
    const started = Date.now();
    let peak = afterLoad;
    let peakAt = started;
    while (Date.now() < started + thinkSeconds * 1000) {
      const now = rss();
      if (now > peak) {
        peak = now;
        peakAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      estimate: plan.estimate.ramBytes,
      loadedEstimate: plan.estimate.ramLoadedBytes,
      contextSize: plan.contextSize,
      afterLoad,
      peak,
      peakAfterSeconds: (peakAt - started) / 1000,
      notes: plan.notes ?? [],
    };
  } finally {
    await host.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchPlanner(options: {
  runs: number;
  thinkSeconds: number;
  log: (line: string) => void;
}): Promise<PlannerResult> {
  const rows: PlannerRow[] = [];
  const notes = new Set<string>();
  for (const row of ROWS) {
    const { file, bytes, generatedMs } = cachedModel(row.spec);
    if (generatedMs !== null) options.log(`  generated ${row.name} in ${(generatedMs / 1000).toFixed(1)} s`);
    const runs: Measurement[] = [];
    for (let run = 0; run < options.runs; run++) runs.push(await measure(file, options.thinkSeconds));
    const { estimate, loadedEstimate, contextSize } = runs[0]!;
    for (const note of runs[0]!.notes) notes.add(note);
    const afterLoad = median(runs.map((run) => run.afterLoad));
    const peak = median(runs.map((run) => run.peak));
    const errorAfterLoadPercent = round(((loadedEstimate - afterLoad) / afterLoad) * 100, 1);
    const errorPercent = round(((estimate - peak) / peak) * 100, 1);
    const result: PlannerRow = {
      model: row.name,
      format: row.spec.tensorType,
      fileMb: round(bytes / MB, 1),
      contextSize,
      loadedEstimateMb: round(loadedEstimate / MB, 1),
      afterLoadMb: round(afterLoad / MB, 1),
      errorAfterLoadPercent,
      estimateMb: round(estimate / MB, 1),
      peakMb: round(peak / MB, 1),
      errorPercent,
      peakAfterSeconds: round(median(runs.map((run) => run.peakAfterSeconds)), 1),
      withinTarget: Math.abs(errorAfterLoadPercent) <= TARGET_PERCENT && Math.abs(errorPercent) <= TARGET_PERCENT,
    };
    rows.push(result);
    options.log(
      `  ${result.model}: after load ${result.afterLoadMb} MB (estimated ${result.loadedEstimateMb}), ` +
        `peak ${result.peakMb} MB (estimated ${result.estimateMb})`,
    );
  }
  return {
    runs: options.runs,
    thinkSeconds: options.thinkSeconds,
    rows,
    targetPercent: TARGET_PERCENT,
    withinTarget: rows.every((row) => row.withinTarget),
    notes: [...notes],
  };
}

const signed = (value: number) => `${value > 0 ? '+' : ''}${value}%`;

export function printPlanner(result: PlannerResult): string {
  return [
    `Planner RAM estimate against the worker's measured RssAnon + RssFile (median of ${result.runs} runs, ${result.thinkSeconds} s of thinking each)`,
    '',
    formatTable(
      ['model', 'file MB', 'context', 'after load MB', 'estimated', 'error', 'peak MB', 'estimated', 'error', 'within'],
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
        row.withinTarget ? 'yes' : 'NO',
      ]),
    ),
    '',
    'After load: RSS once the model is loaded, before the first prompt. Peak: the most RSS while it thinks, given an',
    "earlier session's memories as a resurrected mind is, so that its first prompt is as long as the context allows",
    '(the compute buffers fill, the JS heap grows); the RAM limit is checked against that estimate.',
    ...result.notes.map((note) => `Plan note: ${note}.`),
    `Models are kept in ${MODEL_CACHE_DIR} between runs (found again by their spec and the generator's sources).`,
    `Target: every row within ${result.targetPercent}%, after load and at the peak: ${result.withinTarget ? 'met' : 'NOT met'}`,
  ].join('\n');
}
