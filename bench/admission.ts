import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEMO_MODEL_SPEC, generateModel } from '../electron/core/gguf/generateModel.js';
import { readMeminfo } from '../electron/core/sampler/procfs.js';
import { HostProcess } from '../tests/helpers/hostProcess.js';
import { formatTable, median, round } from './stats.js';

/**
 * Peak RAM while the three matrix instances start: under admission (one load at a time) against all three at once
 * (--no-admission), side by side in the same run, with three generated 200 MB models and the real workers. Peak RAM
 * is the board's (MemTotal - MemAvailable), read here every few milliseconds, above what it was before the start.
 */

const MB = 2 ** 20;

export interface AdmissionResult {
  runs: number;
  modelMb: number;
  admission: { peakMb: number; allLoadedMs: number };
  allAtOnce: { peakMb: number; allLoadedMs: number };
  /** allAtOnce peak / admission peak. */
  peakRatio: number;
}

async function startRun(models: string[], admission: boolean): Promise<{ peakMb: number; allLoadedMs: number }> {
  const before = readMeminfo();
  const baseline = before.totalBytes - before.availableBytes;
  const host = HostProcess.startBuilt([
    '--mode',
    'matrix',
    '--model-subject',
    models[0]!,
    '--model-observer',
    models[1]!,
    '--model-god',
    models[2]!,
    '--threads',
    '1',
    '--think-pause',
    '0',
    ...(admission ? [] : ['--no-admission']),
  ]);
  try {
    const started = Date.now();
    let peak = baseline;
    let loadedAt = 0;
    while (Date.now() - started < 120_000) {
      const now = readMeminfo();
      peak = Math.max(peak, now.totalBytes - now.availableBytes);
      if (!loadedAt && host.of('instance.loaded').length >= 3) loadedAt = Date.now();
      // Keep measuring a little after the last load: the first prompts fill the compute buffers.
      if (loadedAt && Date.now() - loadedAt > 3000) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!loadedAt) throw new Error('the three instances did not load');
    return { peakMb: (peak - baseline) / MB, allLoadedMs: loadedAt - started };
  } finally {
    await host.stop();
  }
}

export async function benchAdmission(options: { runs: number; log: (line: string) => void }): Promise<AdmissionResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bij-bench-admission-'));
  try {
    const models = (['SUBJECT', 'OBSERVER', 'GOD'] as const).map((role, index) => {
      const file = path.join(dir, `${role}.gguf`);
      generateModel(file, {
        ...DEMO_MODEL_SPEC,
        name: role,
        seed: index + 1,
        layers: 16,
        embedding: 512,
        feedForward: 1376,
        heads: 8,
        kvHeads: 8,
        contextLength: 4096,
      });
      return file;
    });
    const modelMb = round(fs.statSync(models[0]!).size / MB, 0);
    const runs = {
      admission: [] as Array<{ peakMb: number; allLoadedMs: number }>,
      allAtOnce: [] as Array<{ peakMb: number; allLoadedMs: number }>,
    };
    for (let run = 0; run < options.runs; run++) {
      for (const admission of run % 2 === 0 ? [true, false] : [false, true]) {
        const result = await startRun(models, admission);
        (admission ? runs.admission : runs.allAtOnce).push(result);
        options.log(
          `  ${admission ? 'admission  ' : 'all at once'}: peak +${round(result.peakMb, 0)} MB, all loaded after ${result.allLoadedMs} ms`,
        );
      }
    }
    const summary = (list: Array<{ peakMb: number; allLoadedMs: number }>) => ({
      peakMb: round(median(list.map((entry) => entry.peakMb)), 0),
      allLoadedMs: round(median(list.map((entry) => entry.allLoadedMs)), 0),
    });
    const admission = summary(runs.admission);
    const allAtOnce = summary(runs.allAtOnce);
    return {
      runs: options.runs,
      modelMb,
      admission,
      allAtOnce,
      peakRatio: round(allAtOnce.peakMb / admission.peakMb, 2),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printAdmission(result: AdmissionResult): string {
  return [
    `Three matrix instances starting, ${result.modelMb} MB models each (median of ${result.runs} runs)`,
    '',
    formatTable(
      ['start', 'peak RAM above baseline MB', 'all three loaded after ms'],
      [
        ['admission (one load at a time)', result.admission.peakMb, result.admission.allLoadedMs],
        ['all at once', result.allAtOnce.peakMb, result.allAtOnce.allLoadedMs],
      ],
    ),
    '',
    `All at once peaks at ${result.peakRatio}x the admission's peak.`,
  ].join('\n');
}
