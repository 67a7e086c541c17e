import fs from 'node:fs';
import path from 'node:path';

/**
 * Temperatures from the kernel's thermal zones (/sys/class/thermal/thermal_zone*), named by their `type` file (on an
 * Orin: cpu-thermal, gpu-thermal, soc0-thermal, tj-thermal, ...), not by an assumed index as the original did.
 * Absent sensors read -256000 (or less) and are left out.
 */
export const THERMAL_DIR = '/sys/class/thermal';

export interface ThermalZone {
  type: string;
  tempFile: string;
}

export function findThermalZones(dir = THERMAL_DIR): ThermalZone[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir).filter((name) => /^thermal_zone\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    try {
      const type = fs.readFileSync(path.join(dir, name, 'type'), 'utf8').trim();
      return [{ type, tempFile: path.join(dir, name, 'temp') }];
    } catch {
      return [];
    }
  });
}

/** Millidegrees to degrees; null for an absent sensor or anything unreadable. */
export function parseMillidegrees(text: string): number | null {
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(value) || value <= -40_000) return null;
  return value / 1000;
}

export function readTemperatures(zones: readonly ThermalZone[]): Record<string, number> {
  const temperatures: Record<string, number> = {};
  for (const zone of zones) {
    try {
      const value = parseMillidegrees(fs.readFileSync(zone.tempFile, 'utf8'));
      if (value !== null) temperatures[zone.type] = value;
    } catch {
      // A zone can vanish (hotplug); the others still count.
    }
  }
  return temperatures;
}
