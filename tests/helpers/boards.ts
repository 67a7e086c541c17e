import type { BoardResources } from '../../shared/board.js';
import { resourcesFrom } from '../../electron/core/board/resources.js';
import { fixture } from './fixtures.js';

/**
 * Board profiles for the planner, each assembled from real recordings (tests/fixtures/recorded, SOURCES.md says where
 * each file came from). Core counts are not in the recordings except tegrastats' CPU list; for the others they are
 * the machine's published figure. The CPU's features (what llama.cpp repacks) come from a cpuinfo recording of the
 * same kind of CPU: an Orin's Cortex-A78AE, a Haswell Xeon beside the discrete cards, a Cortex-A57 (no dot product,
 * like the Raspberry Pi 4's A72) for the 4 GB CPU-only board; the 8 GB CPU-only board has none (features unknown).
 */
export type BoardName =
  | 'orin-agx-32gb'
  | 'orin-nano-8gb'
  | 'discrete-8gb'
  | 'discrete-16gb'
  | 'discrete-24gb-nearly-full'
  | 'cpu-4gb'
  | 'cpu-8gb';

const ORIN_CPU = fixture('recorded/cpuinfo/orin-devkit-lscpu-11cpus.txt');
const HASWELL_CPU = fixture('recorded/cpuinfo/xeon-e5-2660v3-haswell-one-processor.txt');
const A57_CPU = fixture('recorded/cpuinfo/jetson-nano-cortex-a57.txt');

const none = { nvidiaSmi: null, tegrastats: null, gpuLoad: null, nvTegraRelease: null, jetson: false, backend: null };

export function board(name: BoardName): BoardResources {
  switch (name) {
    case 'orin-agx-32gb':
      // tegrastats RAM 1438/30622MB with 8 CPUs; L4T release and nvidia-smi's all-[N/A] line from Orins.
      return resourcesFrom({
        ...none,
        meminfo: null,
        cores: 8,
        tegrastats: fixture('recorded/tegrastats/orin-agx-32gb-jp5format-8cpus-from-script-comment.txt'),
        nvTegraRelease: fixture('recorded/nv_tegra_release/r36.3.0-generic.txt'),
        cpuinfo: ORIN_CPU,
        source: name,
      });
    case 'orin-nano-8gb':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/jetson-orin-nano-8gb-jp6.2-l4t36.4.txt'),
        cores: 6,
        tegrastats: fixture('recorded/tegrastats/orin-nano-8gb-jp6.2-nonroot.txt'),
        cpuinfo: ORIN_CPU,
        source: name,
      });
    case 'discrete-8gb':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/x86_64-16gb-statum-2019.txt'),
        cores: 8,
        nvidiaSmi: fixture('recorded/nvidia-smi/rtx2070-8gb-csv-header-units-repeated-header-per-call.txt'),
        cpuinfo: HASWELL_CPU,
        source: name,
      });
    case 'discrete-16gb':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/x86_64-16gb-statum-2019.txt'),
        cores: 8,
        nvidiaSmi: fixture('recorded/nvidia-smi/tesla-t4-16gb-csv-header-units-lms100-loop.txt'),
        cpuinfo: HASWELL_CPU,
        source: name,
      });
    case 'discrete-24gb-nearly-full':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/x86_64-16gb-statum-2019.txt'),
        cores: 8,
        nvidiaSmi: fixture('recorded/nvidia-smi/a10g-24gb-csv-header-units-nearly-full.txt'),
        cpuinfo: HASWELL_CPU,
        source: name,
      });
    case 'cpu-4gb':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/raspberry-pi4-4gb-bookworm-kernel6.6.74.txt'),
        cores: 4,
        cpuinfo: A57_CPU,
        source: name,
      });
    case 'cpu-8gb':
      return resourcesFrom({
        ...none,
        meminfo: fixture('recorded/meminfo/x86_64-chromeos-8gb-kernel6.txt'),
        cores: 4,
        source: name,
      });
  }
}
