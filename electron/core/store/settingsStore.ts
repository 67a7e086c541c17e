import fs from 'node:fs';

import { applySettingsPatch, DEFAULT_SETTINGS, SETTINGS_PATCH, type Settings } from '../../../shared/settings.js';
import { writeFileAtomic } from './atomicFile.js';

/**
 * settings.json: written atomically (temp file, fsync, rename, fsync of the folder). A file that cannot be read or
 * does not pass the schema is kept aside as a backup, the defaults load, and `notice` says so for the panel.
 */
export class SettingsStore {
  private current: Settings;
  /** What went wrong with the file at start, for the panel; null when it loaded (or did not exist yet). */
  readonly notice: string | null;

  constructor(private readonly file: string) {
    const { settings, notice } = loadSettings(file);
    this.current = settings;
    this.notice = notice;
  }

  get settings(): Settings {
    return this.current;
  }

  save(settings: Settings): void {
    writeFileAtomic(this.file, `${JSON.stringify(settings, null, 2)}\n`);
    this.current = settings;
  }
}

function loadSettings(file: string): { settings: Settings; notice: string | null } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { settings: DEFAULT_SETTINGS, notice: null };
    return {
      settings: DEFAULT_SETTINGS,
      notice: `settings.json could not be read (${(error as Error).message}); using the defaults`,
    };
  }
  let reason: string;
  try {
    const parsed = SETTINGS_PATCH.parse(JSON.parse(text), '');
    if (parsed.ok) return { settings: applySettingsPatch(DEFAULT_SETTINGS, parsed.value), notice: null };
    reason = parsed.message;
  } catch (error) {
    reason = `not valid JSON: ${(error as Error).message}`;
  }
  const backup = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, backup);
  return {
    settings: DEFAULT_SETTINGS,
    notice: `settings.json was damaged (${reason}); it is kept as ${backup} and the defaults are in use`,
  };
}
