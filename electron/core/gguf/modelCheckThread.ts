import { parentPort, workerData } from 'node:worker_threads';

import { validateModel } from './validateModel.js';

/**
 * The body of the thread checkOffLoop.ts starts: the header read (synchronous, megabytes of vocabulary for a real
 * model, or a disk that does not answer) happens here, not on the host's event loop.
 */
const validation = validateModel((workerData as { file: string }).file);
parentPort!.postMessage(
  validation.ok ? { ok: true, check: validation.check } : { ok: false, message: validation.message },
);
