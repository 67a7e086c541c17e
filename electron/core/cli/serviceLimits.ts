import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Whether the service unit's MemoryMax / MemoryHigh will hold. A user unit runs under the user's systemd manager;
 * systemd can apply memory limits there only on cgroup v2 with the memory controller delegated to that manager
 * (user@UID.service lists `memory` in cgroup.controllers). Otherwise systemd accepts the unit and ignores the limits:
 * the watchdog and the per-instance limits inside still hold, the fence around the whole app does not.
 */
export function userUnitMemoryLimits(
  root = '/sys/fs/cgroup',
  uid = os.userInfo().uid,
): { enforced: boolean; reason: string } {
  const read = (file: string) => {
    try {
      return fs.readFileSync(path.join(root, file), 'utf8');
    } catch {
      return null;
    }
  };
  if (read('cgroup.controllers') === null) {
    return { enforced: false, reason: 'no cgroup v2 here (cgroup v1 or hybrid): systemd ignores them in user units' };
  }
  const manager = `user.slice/user-${uid}.slice/user@${uid}.service/cgroup.controllers`;
  const controllers = read(manager);
  if (controllers === null) return { enforced: false, reason: `no user manager for uid ${uid} (${manager} is absent)` };
  if (!controllers.split(/\s+/).includes('memory')) {
    return {
      enforced: false,
      reason:
        'the memory controller is not delegated to the user manager (systemctl edit user@.service: Delegate=memory)',
    };
  }
  return { enforced: true, reason: 'cgroup v2 with the memory controller delegated to the user manager' };
}
