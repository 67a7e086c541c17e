import fs from 'node:fs';

/**
 * /etc/os-release (or /usr/lib/os-release), as node-llama-cpp reads it too: its NAME and VERSION_ID are the
 * "platformInfo" a build's metadata records, and a local build made on another distribution is tested before it is
 * loaded. Here it says what the system is; the verdict on a binary comes from the binary's ELF files, not from this.
 */

export interface OsRelease {
  /** NAME, e.g. "Ubuntu". */
  name: string | null;
  /** VERSION_ID, e.g. "22.04". */
  versionId: string | null;
  /** PRETTY_NAME, e.g. "Ubuntu 22.04.2 LTS". */
  prettyName: string | null;
  /** VERSION_CODENAME, e.g. "jammy". */
  codename: string | null;
}

export const OS_RELEASE_FILES = ['/etc/os-release', '/usr/lib/os-release'];

export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!.trim();
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    values.set(match[1]!, value);
  }
  const get = (key: string) => values.get(key) || null;
  return {
    name: get('NAME'),
    versionId: get('VERSION_ID'),
    prettyName: get('PRETTY_NAME'),
    codename: get('VERSION_CODENAME') ?? get('UBUNTU_CODENAME'),
  };
}

export function readOsRelease(files: readonly string[] = OS_RELEASE_FILES): OsRelease | null {
  for (const file of files) {
    try {
      return parseOsRelease(fs.readFileSync(file, 'utf8'));
    } catch {
      // the next one
    }
  }
  return null;
}

/** "Ubuntu 22.04", as node-llama-cpp writes a build's platformInfo. */
export function platformLabel(release: Pick<OsRelease, 'name' | 'versionId'> | null): string | null {
  if (!release?.name) return null;
  return release.versionId ? `${release.name} ${release.versionId}` : release.name;
}
