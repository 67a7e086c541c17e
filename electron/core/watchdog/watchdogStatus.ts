import type { Role } from '../../../shared/instances.js';
import type { EnforcementInfo, ThermalState, WatchdogStatus } from '../../../shared/watchdog.js';

/** What the panel is told of the watchdog: how limits are held, the thermal guard, who waits to start and why. */
export function watchdogStatusOf(parts: {
  instances: Iterable<{ role: Role; held: string | null }>;
  enforcement: EnforcementInfo;
  lines: WatchdogStatus['lines'];
  thermal: ThermalState;
  layerCaps: WatchdogStatus['layerCaps'];
}): WatchdogStatus {
  const holding: WatchdogStatus['holding'] = {};
  for (const instance of parts.instances) if (instance.held) holding[instance.role] = instance.held;
  return {
    enforcement: parts.enforcement,
    lines: parts.lines,
    thermal: parts.thermal,
    holding,
    layerCaps: parts.layerCaps,
  };
}
