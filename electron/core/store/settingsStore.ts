import fs from 'node:fs';

import { crossFieldProblem, DEFAULT_SETTINGS, type Settings } from '../../../shared/settings.js';
import { SETTINGS_TABLE } from '../../../shared/settingsTable.js';
import { writeFileAtomic } from './atomicFile.js';
import { parseJsonObject } from './jsonObject.js';
import { LatestFile } from './latestFile.js';

/**
 * settings.json, read key by key and written atomically off the event loop.
 *
 * Reading: each key this version knows is checked on its own, and one it refuses goes back to its default (the file
 * as it was is copied aside and the file repaired); keys it does not know (a newer version's) are kept and written
 * back with every save. A file that is not a JSON object, or whose values break the rules between fields (a warn
 * level above a threshold), is set aside whole as settings.json.corrupt-<time> and the defaults load. `notice` says
 * what happened, for the panel.
 *
 * Writing: the settings in memory change at once; the file follows (LatestFile), so a burst of changes costs a few
 * writes and never blocks the watchdog's event loop.
 */
export class SettingsStore {
  private current: Settings;
  /** Keys of the file this version does not know, in their order: written back as they were. */
  private readonly unknown: Record<string, unknown>;
  private readonly loadNotice: string | null;
  /** Why the latest write failed; null once one succeeds. */
  private saveProblem: string | null = null;
  private readonly latest: LatestFile;

  constructor(private readonly file: string) {
    const loaded = loadSettings(file);
    this.current = loaded.settings;
    this.unknown = loaded.unknown;
    this.loadNotice = loaded.notice;
    this.latest = new LatestFile(file);
  }

  get settings(): Settings {
    return this.current;
  }

  /** What went wrong with the file: at start, and with the latest write; null when all is well. */
  get notice(): string | null {
    const notices = [this.loadNotice, this.saveProblem].filter((notice) => notice !== null);
    return notices.length > 0 ? notices.join('; ') : null;
  }

  /** Writes started so far (a burst is coalesced into a few). */
  get writes(): number {
    return this.latest.writes;
  }

  /**
   * The settings change now; the promise resolves once they (or later ones) are on disk, with null, or with why the
   * write failed (the settings in memory stay in force until the host stops; `notice` says so). Never rejects.
   */
  async save(settings: Settings): Promise<string | null> {
    this.current = settings;
    const failure = await this.latest.write(serialize(settings, this.unknown));
    this.saveProblem = failure
      ? `settings.json could not be saved (${failure.message}); the changes hold until the host stops`
      : null;
    return this.saveProblem;
  }

  /** Resolves once every save asked for has finished. */
  async flush(): Promise<void> {
    await this.latest.settled();
  }
}

function serialize(settings: Settings, unknown: Record<string, unknown>): string {
  return `${JSON.stringify({ ...settings, ...unknown }, null, 2)}\n`;
}

interface LoadedSettings {
  settings: Settings;
  unknown: Record<string, unknown>;
  notice: string | null;
}

/** A file's text read key by key: the known keys that pass, the unknown ones, and what was refused. */
export interface ReadSettings {
  /** Null when the text is not a JSON object at all, or its values break the rules between fields. */
  settings: Settings | null;
  unknown: Record<string, unknown>;
  /** Why the whole file is refused, or each known key that is. */
  problems: string[];
}

export function readSettingsText(text: string): ReadSettings {
  const parsed = parseJsonObject(text, 'not a JSON object');
  if (!parsed.ok) return { settings: null, unknown: {}, problems: [parsed.problem] };
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const unknown: Array<[string, unknown]> = [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(parsed.object)) {
    // Own keys only: "toString" or "__proto__" in the file are a newer version's keys, not the prototype's.
    if (!Object.hasOwn(SETTINGS_TABLE, key)) {
      unknown.push([key, value]);
      continue;
    }
    const checked = SETTINGS_TABLE[key as keyof Settings].schema.parse(value, key);
    if (checked.ok) settings[key] = checked.value;
    else problems.push(checked.message);
  }
  const problem = crossFieldProblem(settings as Settings);
  if (problem) return { settings: null, unknown: {}, problems: [problem.message] };
  // fromEntries defines each key as data, so a "__proto__" key stays a key.
  return { settings: settings as Settings, unknown: Object.fromEntries(unknown), problems };
}

function loadSettings(file: string): LoadedSettings {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const none = { settings: DEFAULT_SETTINGS, unknown: {} };
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ...none, notice: null };
    return { ...none, notice: `settings.json could not be read (${(error as Error).message}); using the defaults` };
  }
  const read = readSettingsText(text);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const backup = `${file}.corrupt-${stamp}`;
  if (read.settings === null) {
    fs.renameSync(file, backup);
    return {
      settings: DEFAULT_SETTINGS,
      unknown: {},
      notice: `settings.json was damaged (${read.problems.join('; ')}); it is kept as ${backup} and the defaults are in use`,
    };
  }
  if (read.problems.length === 0) return { settings: read.settings, unknown: read.unknown, notice: null };
  // The rest of the file stands: a copy keeps it as it was, and the file is repaired so the next start is clean.
  fs.copyFileSync(file, backup);
  writeFileAtomic(file, serialize(read.settings, read.unknown));
  return {
    settings: read.settings,
    unknown: read.unknown,
    notice:
      `settings.json had values this version refuses (${read.problems.join('; ')}); those settings are back to ` +
      `their defaults, the others are kept, and the file as it was is kept as ${backup}`,
  };
}
