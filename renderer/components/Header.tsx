import type { LineHold, LineMechanism } from '../../shared/watchdog.js';
import type { Call } from '../client/call.js';
import type { ConnectionStatus } from '../client/webSocketClient.js';
import type { PanelState } from '../state/panelState.js';
import { boardHeadroom } from '../state/headroom.js';
import { formatBytes } from './format.js';
import { HeadroomBar } from './HeadroomBar.js';
import { ModeSwitch } from './ModeSwitch.js';

/** The header is one row at 1280 px: each line and what holds it in a word; the title has the whole sentence. */
const LINE_NAMES: Record<LineHold['line'], string> = {
  'instance-limits': 'limits',
  'ram-threshold': 'RAM',
  'gpu-threshold': 'GPU',
};
const HELD_BY: Record<LineMechanism, string> = {
  'cgroup-v1-eventfd': 'kernel',
  'cgroup-v2-memory-high': 'kernel (memory.high)',
  polling: 'polled',
};

export function Header({ state, status, call }: { state: PanelState; status: ConnectionStatus; call: Call }) {
  const latest = state.metrics.at(-1);
  const thermal = state.watchdog?.thermal;
  const gpu = latest?.gpu;
  const settings = state.settings?.settings;
  const headroom = settings ? boardHeadroom(state.metrics, settings) : null;
  return (
    <header className="header">
      <h1>Brain in a Jar</h1>
      {state.ready && <ModeSwitch mode={state.mode} call={call} />}
      {latest && (
        <span
          className="ram-now"
          aria-label="System RAM in use"
          data-testid="ram-now"
          title={`${formatBytes(latest.ramUsedBytes)} of ${formatBytes(latest.ramTotalBytes)}`}
        >
          RAM {latest.ramPercent.toFixed(1)}%
        </span>
      )}
      {headroom && settings && (
        <HeadroomBar
          headroom={headroom}
          label="System RAM against the warn and kill lines"
          lineTitles={{ warn: `warn ${settings.warnThreshold}%`, kill: `kill ${settings.ramThreshold}%` }}
        />
      )}
      {gpu && !gpu.unified && gpu.tool && gpu.tool.state !== 'live' && (
        <span className="ram-now" aria-label="GPU memory in use" title="The GPU tool gives no live figures">
          GPU: unknown ({gpu.tool.note})
        </span>
      )}
      {gpu && gpu.percent !== null && !gpu.unified && (
        <span className="ram-now" aria-label="GPU memory in use">
          GPU {gpu.percent.toFixed(1)}%
        </span>
      )}
      {thermal?.hottest && (
        <span
          className={`thermal${thermal.paused ? ' paused' : ''}`}
          data-testid="thermal"
          title={`Generation pauses at ${thermal.thresholdC} C`}
        >
          {thermal.hottest.zone} {thermal.hottest.temperatureC.toFixed(1)} C{thermal.paused ? ' · too hot: paused' : ''}
        </span>
      )}
      {state.disk && (
        <span className={`disk disk-${state.disk.state}`} data-testid="disk" title={state.disk.message}>
          Data {formatBytes(state.disk.dataDirBytes)} · {formatBytes(state.disk.freeBytes)} free
        </span>
      )}
      {state.watchdog && (
        <span className="enforcement" title={state.watchdog.enforcement.reason} data-testid="enforcement">
          Limits: {state.watchdog.enforcement.label}
        </span>
      )}
      {state.watchdog && state.watchdog.lines.length > 0 && (
        <span
          className="line-mechanism"
          data-testid="line-mechanism"
          title={state.watchdog.lines.map((hold) => `${LINE_NAMES[hold.line]}: ${hold.label}`).join('\n')}
        >
          Held by:{' '}
          {state.watchdog.lines.map((hold) => `${LINE_NAMES[hold.line]} ${HELD_BY[hold.mechanism]}`).join(' · ')}
        </span>
      )}
      <span className={`connection connection-${status.kind}`} role="status">
        {status.kind === 'open' ? 'Connected' : status.kind === 'connecting' ? 'Connecting…' : 'Disconnected'}
      </span>
    </header>
  );
}
