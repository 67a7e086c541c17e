import type { BoardResources } from '../../../shared/board.js';
import { ROLES } from '../../../shared/instances.js';
import type { ErrorCode } from '../../../shared/errors.js';
import { crossFieldProblem, type Settings } from '../../../shared/settings.js';
import { validateModel } from '../gguf/validateModel.js';
import { checkRamBudget } from '../planner/budget.js';
import { ramLimitBytes, reserveBytes, rolesOf } from '../planner/planInputs.js';
import type { Flags } from './args.js';
import { givenFlags } from './settingFlags.js';

/**
 * What the command line asks for that cannot run, said with the flags that ask it: `run` and `plan` refuse it with
 * exit code 2 before anything starts (before the panel is served). Only what flags state is refused here; a bad
 * model or limits that come from settings.json alone leave the host up, its card saying why, for the fix in the
 * panel.
 */
export interface FlagRefusal {
  code: Extract<ErrorCode, 'INVALID_PARAMS' | 'MODEL_INVALID' | 'BUDGET_EXCEEDED'>;
  /** The flags, as typed. */
  flags: string[];
  /** "--model: /x.gguf: no such file. ..."; the flags first, as the operator typed them. */
  message: string;
}

/** A model file a flag names that is missing, unreadable or not a GGUF model llama.cpp could load. */
export function modelFlagRefusal(flags: Flags): FlagRefusal | null {
  const named: Array<[string, string]> = flags.model ? [['--model', flags.model]] : [];
  for (const role of ROLES) {
    const file = flags.roleModels[role];
    if (file) named.push([`--model-${role.toLowerCase()}`, file]);
  }
  for (const [flag, file] of named) {
    const validation = validateModel(file);
    if (!validation.ok) {
      return { code: 'MODEL_INVALID', flags: [flag], message: `${flag}: ${validation.file}: ${validation.reason}` };
    }
  }
  return null;
}

/**
 * Settings in force that break a rule between fields (a warn level above a threshold). settings.json passed these
 * rules as it loaded (or was set aside), so flags are in every conflict left: they are named.
 */
export function ruleFlagRefusal(flags: Flags, settings: Settings): FlagRefusal | null {
  const problem = crossFieldProblem(settings);
  if (!problem) return null;
  const stating = givenFlags(flags, problem.fields);
  const message = [stating.join(', '), problem.message].filter(Boolean).join(': ');
  return { code: 'INVALID_PARAMS', flags: stating, message };
}

/**
 * RAM limits the board cannot hold beside its reserve, in the mode that runs, where a flag states a limit, the
 * reserve or the mode (whichever of them it was, the command line asked for what cannot run).
 */
export function budgetFlagRefusal(flags: Flags, settings: Settings, resources: BoardResources): FlagRefusal | null {
  const roles = rolesOf(settings.mode);
  const idle = ROLES.filter((role) => !roles.includes(role)).map((role) => `-${role.toLowerCase()}`);
  // A limit for a role this mode does not run is no part of it (a switch to matrix is checked when asked for).
  const stating = givenFlags(flags, ['ramLimitsGb', 'reserveGb', 'mode']).filter(
    (name) => !idle.some((suffix) => name.endsWith(suffix)),
  );
  if (stating.length === 0) return null;
  const limits = roles.map((role) => ramLimitBytes(role, settings, resources));
  const budget = checkRamBudget(limits, resources.ramTotalBytes, reserveBytes(settings, resources));
  if (budget.ok) return null;
  return { code: 'BUDGET_EXCEEDED', flags: stating, message: `${stating.join(', ')}: ${budget.message}` };
}
