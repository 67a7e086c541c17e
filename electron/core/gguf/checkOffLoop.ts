import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { ModelCheck } from '../../../shared/api.js';
import { unpackedPath } from '../asarPath.js';
import { SerialQueue } from '../serialQueue.js';
import { validateModel } from './validateModel.js';

/** What the thread answers: the file's facts, or the refusal ("Model <file>: <reason>"). */
export type ModelCheckAnswer = { ok: true; check: ModelCheck } | { ok: false; message: string };

/** A header that takes longer than this to read is on a disk that does not answer; the caller is told so. */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * This tree's thread body: .js built; from source (tests, `npm run headless`), .ts, for which the thread first
 * registers tsx itself (a worker thread does not inherit the --import loaders of its process on Node 20).
 */
function threadScript(): URL {
  const here = fileURLToPath(import.meta.url);
  const script = unpackedPath(path.join(path.dirname(here), `modelCheckThread${path.extname(here)}`));
  if (path.extname(here) !== '.ts') return pathToFileURL(script);
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(pathToFileURL(script).href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

/**
 * models.check off the event loop the watchdog samples on: validateModel reads the headers synchronously (a real
 * model's vocabulary is megabytes of them: ~140 ms for 256k tokens here), so the api runs it in a thread, one check
 * at a time (a flood of calls queues, it does not multiply threads), the same file asked for while it is being
 * checked answered by that one check, and never awaited past `timeoutMs`.
 */
export class ModelChecker {
  private readonly queue = new SerialQueue();
  private readonly inFlight = new Map<string, Promise<ModelCheckAnswer>>();

  constructor(private readonly timeoutMs = CHECK_TIMEOUT_MS) {}

  check(file: string): Promise<ModelCheckAnswer> {
    const shown = path.resolve(file);
    const running = this.inFlight.get(shown);
    if (running) return running;
    const answer = this.checkFile(shown);
    this.inFlight.set(shown, answer);
    // Both ways, so that a check that failed to start (a rejection the api answers) leaves no unhandled one here.
    const forget = () => this.inFlight.delete(shown);
    answer.then(forget, forget);
    return answer;
  }

  /**
   * Only a regular file's headers are read in a thread; what is missing or not a file (a flood of bad paths, a typo)
   * is told by validateModel's own stat at once, once an asynchronous stat has shown there is nothing to read.
   */
  private async checkFile(file: string): Promise<ModelCheckAnswer> {
    const isFile = await fs.promises.stat(file).then(
      (stat) => stat.isFile(),
      () => false,
    );
    if (isFile) return this.queue.run(() => this.inThread(file));
    const validation = validateModel(file);
    return validation.ok ? { ok: true, check: validation.check } : { ok: false, message: validation.message };
  }

  private async inThread(file: string): Promise<ModelCheckAnswer> {
    // No flags of the process (an --input-type, an --inspect port): the thread body needs none.
    const worker = new Worker(threadScript(), { workerData: { file }, execArgv: [] });
    const answered = new Promise<ModelCheckAnswer>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (error) =>
        resolve({ ok: false, message: `Model ${file}: cannot be checked (${error.message})` }),
      );
      worker.once('exit', (code) => resolve({ ok: false, message: `Model ${file}: the check ended (exit ${code})` }));
    });
    let timer: NodeJS.Timeout | undefined;
    const late: ModelCheckAnswer = {
      ok: false,
      message: `Model ${file}: reading its header took more than ${this.timeoutMs / 1000} s; is its disk answering?`,
    };
    const deadline = new Promise<ModelCheckAnswer>((resolve) => {
      timer = setTimeout(() => resolve(late), this.timeoutMs);
    });
    const answer = await Promise.race([answered, deadline]);
    clearTimeout(timer);
    // A thread stuck in a read cannot be stopped from here; it is let go, and the next check starts its own.
    if (answer === late) void worker.terminate();
    return answer;
  }
}
