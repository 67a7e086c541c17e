/**
 * Jetson facts from the files L4T leaves: /etc/nv_tegra_release ("# R36 (release), REVISION: 4.7, ...") and the GPU's
 * devfreq load (per-mille, /sys/devices/platform/gpu.0/load on Orin, /sys/devices/gpu.0/load before).
 */

export const NV_TEGRA_RELEASE = '/etc/nv_tegra_release';
export const GPU_LOAD_FILES = ['/sys/devices/platform/gpu.0/load', '/sys/devices/gpu.0/load'];

export interface TegraRelease {
  /** e.g. "R36.4.7". */
  release: string;
  board: string | null;
}

export function parseNvTegraRelease(text: string): TegraRelease | null {
  const match = /#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([\d.]+)(?:,.*?BOARD:\s*([\w-]+))?/.exec(text);
  if (!match) return null;
  return { release: `R${match[1]}.${match[2]}`, board: match[3] ?? null };
}

/** devfreq load in per-mille to percent; null for anything that is not a number in range. */
export function parseGpuLoad(text: string): number | null {
  const value = Number(text.trim());
  if (!Number.isFinite(value) || value < 0 || value > 1000 || text.trim() === '') return null;
  return value / 10;
}
