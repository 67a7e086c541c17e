import fs from 'node:fs';
import path from 'node:path';

import { DEMO_MODEL_SPEC, generateModel } from './gguf/generateModel.js';
import { validateModel } from './gguf/validateModel.js';

export const DEMO_MODEL_FILE = 'demo.gguf';

/**
 * The model used when none is configured: generated on first use (half a megabyte, a few milliseconds), and again
 * if the file on disk is not a valid model any more.
 */
export function ensureDemoModel(directory: string): string {
  const file = path.join(directory, DEMO_MODEL_FILE);
  if (fs.existsSync(file) && validateModel(file).ok) return file;
  fs.mkdirSync(directory, { recursive: true });
  generateModel(file, DEMO_MODEL_SPEC);
  return file;
}
