import { memo, useState } from 'react';

import { formatGb, llamaSummary, type BoardResources } from '../../shared/board.js';
import { gbApart } from '../../shared/limitFigures.js';
import type { Role } from '../../shared/instances.js';
import { STRATEGIES, type InstancePlan, type PlanOutcome, type Strategy } from '../../shared/plan.js';
import { SETTING_LABELS, type Settings } from '../../shared/settings.js';
import type { Call } from '../client/call.js';
import { useCall } from '../client/useCall.js';
import { limitsOf } from '../state/limits.js';
import { Applies } from './Applies.js';
import { formatBytes } from './format.js';

/** One budget bar: the estimate against what it may use; red when over. */
function Bar({ label, used, of, testId }: { label: string; used: number; of: number | null; testId: string }) {
  const share = of && of > 0 ? used / of : 0;
  return (
    <div className="bar" data-testid={testId}>
      <span className="bar-label">{label}</span>
      <div
        className="bar-track"
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={of ?? 0}
        aria-valuenow={used}
      >
        <div className={`bar-fill${share > 1 ? ' over' : ''}`} style={{ width: `${Math.min(100, share * 100)}%` }} />
      </div>
      <span className="bar-figures">
        {formatGb(used)} / {of === null ? '–' : formatGb(of)}
      </span>
    </div>
  );
}

function asNumber(text: string): number | string {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) ? value : text;
}

function ManualForm({ plan, call, role }: { plan: InstancePlan; call: Call; role: Role }) {
  const [layers, setLayers] = useState(String(plan.gpuLayers));
  const [context, setContext] = useState(String(plan.contextSize));
  const { run, error } = useCall(call);
  const apply = () =>
    run('settings.set', {
      strategies: { [role]: 'manual' },
      // What was typed goes to the host as it is (a number if it reads as one): the host says what is wrong.
      manual: { [role]: { gpuLayers: asNumber(layers), contextSize: asNumber(context) } } as never,
    });
  return (
    <form
      className="manual"
      aria-label={`${role} ${SETTING_LABELS.manual.label.toLowerCase()}`}
      title={SETTING_LABELS.manual.help}
      onSubmit={(event) => {
        event.preventDefault();
        void apply();
      }}
    >
      <label>
        GPU layers
        <input value={layers} onChange={(event) => setLayers(event.target.value)} inputMode="numeric" size={5} />
      </label>
      <label>
        Context
        <input value={context} onChange={(event) => setContext(event.target.value)} inputMode="numeric" size={7} />
      </label>
      <button type="submit">Apply</button>
      {error && (
        <span className="field-error" role="alert">
          {error.message}
        </span>
      )}
    </form>
  );
}

function InstancePlanRow({
  plan,
  budgets,
  strategy,
  call,
}: {
  plan: InstancePlan;
  budgets: Extract<PlanOutcome, { ok: true }>['plan']['budgets'];
  strategy: Strategy;
  call: Call;
}) {
  const own = budgets.unified ? plan.estimate.ramBytes + plan.estimate.gpuBytes : plan.estimate.ramBytes;
  const { label, help, applies } = SETTING_LABELS.strategies;
  return (
    <div className="plan-row" data-testid={`plan-${plan.instance}`}>
      <div className="plan-head">
        <strong>{plan.instance}</strong>
        <label title={help}>
          {label}{' '}
          <select
            value={strategy}
            aria-label={`${plan.instance} ${label.toLowerCase()}`}
            onChange={(event) =>
              void call('settings.set', { strategies: { [plan.instance]: event.target.value as Strategy } })
            }
          >
            {STRATEGIES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <Applies when={applies} />
      </div>
      <p className="plan-numbers" data-testid="plan-numbers">
        {plan.gpuLayers}/{plan.totalLayers} layers on GPU · context {plan.contextSize} · batch {plan.batchSize} ·{' '}
        {plan.threads} {plan.threads === 1 ? 'thread' : 'threads'}
      </p>
      <p className="plan-numbers" data-testid="plan-ram">
        RAM {formatBytes(plan.estimate.ramLoadedBytes)} once loaded, {formatBytes(plan.estimate.ramBytes)} while
        thinking
      </p>
      <p className="plan-limited">Limited by: {plan.limitedBy}</p>
      {plan.warnings.map((warning) => (
        <p key={warning} className="field-error">
          {warning}
        </p>
      ))}
      <Bar
        label={budgets.unified ? 'Own limit (RAM + GPU)' : 'Own RAM limit'}
        used={own}
        of={plan.ramLimitBytes}
        testId="bar-limit"
      />
      <Bar
        label="RAM"
        used={plan.estimate.ramBytes}
        of={budgets.ramTotalBytes - budgets.reserveBytes}
        testId="bar-ram"
      />
      {budgets.gpuBudgetBytes !== null && (
        <Bar
          label={budgets.unified ? 'Shared pool' : 'GPU'}
          used={budgets.unified ? own : plan.estimate.gpuBytes}
          of={budgets.gpuBudgetBytes}
          testId="bar-gpu"
        />
      )}
      {strategy === 'manual' && (
        <ManualForm key={`${plan.gpuLayers}-${plan.contextSize}`} plan={plan} call={call} role={plan.instance} />
      )}
    </div>
  );
}

export const PlanPanel = memo(function PlanPanel({
  plan,
  settings,
  resources,
  call,
}: {
  plan: PlanOutcome | null;
  settings: Settings | null;
  resources: BoardResources | null;
  call: Call;
}) {
  return (
    <section className="plan" aria-label="Offload plan" data-testid="plan">
      {resources && (
        <p className="board" data-testid="board">
          {resources.gpu.kind === 'none'
            ? resources.gpu.note
              ? `GPU unknown (${resources.gpu.note})`
              : 'No GPU'
            : `${resources.gpu.name}${resources.gpu.unified ? ' (GPU memory is the RAM: one pool)' : ''}`}
          {resources.gpu.kind !== 'none' && resources.gpu.note && ` (${resources.gpu.note})`} · RAM{' '}
          {formatGb(resources.ramTotalBytes)} · {resources.cores} cores · llama.cpp{' '}
          {resources.backend ? resources.backend.backend.toUpperCase() : 'backend not probed yet'}
        </p>
      )}
      {resources?.inventory && (
        <p className="board" data-testid="inventory">
          {resources.inventory.system} · {resources.inventory.cpu} · {resources.inventory.os}
        </p>
      )}
      {resources?.llama && (
        <p className="board" data-testid="llama" title={resources.llama.using?.why ?? ''}>
          {llamaSummary(resources.llama)}
          {resources.llama.advice && ` · ${resources.llama.advice}`}
        </p>
      )}
      {!plan ? (
        <p>Planning…</p>
      ) : !plan.ok ? (
        <>
          <p className="error" role="alert" data-testid="plan-error">
            No plan: {plan.error.message}
          </p>
          <ul className="plan-limits" data-testid="plan-limits">
            {limitsOf(plan).map((limit) => (
              <li key={limit.instance}>
                {limit.instance}: RAM limit {formatGb(limit.ramLimitBytes)}
                {limit.leastBytes !== null && `, needs at least ${gbApart(0, limit.leastBytes).higher}`}
              </li>
            ))}
          </ul>
        </>
      ) : (
        plan.plan.instances.map((instance) => (
          <InstancePlanRow
            key={instance.instance}
            plan={instance}
            budgets={plan.plan.budgets}
            strategy={settings?.strategies[instance.instance] ?? 'fit'}
            call={call}
          />
        ))
      )}
    </section>
  );
});
