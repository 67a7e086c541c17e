import {
  isMethodName,
  METHODS,
  type HostSnapshot,
  type MethodName,
  type MethodParams,
  type MethodResults,
  type ModelCheck,
  type PanelMethod,
  type SettingsView,
} from '../../shared/api.js';
import type { BoardResources } from '../../shared/board.js';
import type { ApiError, ApiResult, ErrorCode } from '../../shared/errors.js';
import type { InstanceSnapshot, Role } from '../../shared/instances.js';
import type { PlanOutcome } from '../../shared/plan.js';
import type { DeathView } from '../../shared/postMortem.js';
import type { SettingsPatch } from '../../shared/settings.js';
import { ModelChecker } from './gguf/checkOffLoop.js';

/** Thrown inside a handler to answer with an error; turned into data at the boundary, never sent as a throw. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** models.check: the file's facts, or MODEL_INVALID with the reason; the headers are read off the event loop. */
export function modelFileChecker(checker = new ModelChecker()): (file: string) => Promise<ModelCheck> {
  return async (file) => {
    const answer = await checker.check(file);
    if (!answer.ok) throw new ApiFailure('MODEL_INVALID', answer.message, 'path');
    return answer.check;
  };
}

/** What the api needs from the host. */
export interface ApiHost {
  snapshot(): HostSnapshot;
  startInstances(role: Role | undefined): InstanceSnapshot[];
  stopInstances(role: Role | undefined): Promise<InstanceSnapshot[]>;
  killInstance(role: Role): InstanceSnapshot;
  checkModel(path: string): Promise<ModelCheck>;
  settings(): SettingsView;
  setSettings(patch: SettingsPatch): Promise<SettingsView>;
  plan(): PlanOutcome;
  previewPlan(patch: SettingsPatch): PlanOutcome;
  refreshBoard(): Promise<BoardResources>;
  switchMode(mode: 'single' | 'matrix'): Promise<{ mode: 'single' | 'matrix'; instances: InstanceSnapshot[] }>;
  deathView(id: string): DeathView;
}

export type HandlersOf<N extends MethodName> = {
  [M in N]: (params: MethodParams<M>) => Promise<MethodResults[M]> | MethodResults[M];
};

function handlers(host: ApiHost): HandlersOf<Exclude<MethodName, PanelMethod>> {
  return {
    'host.snapshot': () => host.snapshot(),
    'instances.start': ({ instance }) => host.startInstances(instance),
    'instances.stop': ({ instance }) => host.stopInstances(instance),
    'instances.kill': ({ instance }) => host.killInstance(instance),
    'models.check': ({ path }) => host.checkModel(path),
    'settings.get': () => host.settings(),
    'settings.set': (patch) => host.setSettings(patch),
    'plan.get': () => host.plan(),
    'plan.preview': ({ patch }) => host.previewPlan(patch),
    'board.refresh': () => host.refreshBoard(),
    'mode.switch': ({ mode }) => host.switchMode(mode),
    'deaths.view': ({ id }) => host.deathView(id),
  };
}

export interface Api {
  /** Validates and runs one call. Never throws: every outcome is an ApiResult. */
  call(method: unknown, params: unknown): Promise<ApiResult<unknown>>;
}

/** The host's api table, to which the panel's methods are added once the web server exists. */
export interface ServedApi extends Api {
  /** The panel's methods (history, the token), which need the web server: served from when it is made. */
  provide(panel: HandlersOf<PanelMethod>): void;
}

/** The one implementation of the api table; both transports (IPC and WebSocket) call this. */
export function createApi(host: ApiHost): ServedApi {
  const table: Partial<HandlersOf<MethodName>> = handlers(host);
  return {
    provide(panel) {
      Object.assign(table, panel);
    },
    async call(method, params) {
      if (!isMethodName(method)) {
        return failure({ code: 'UNKNOWN_METHOD', message: `unknown method ${JSON.stringify(method)}` });
      }
      const parsed = METHODS[method].parse(params ?? {}, '');
      if (!parsed.ok) return failure({ code: 'INVALID_PARAMS', message: parsed.message, field: parsed.field });
      const handler = table[method] as ((p: unknown) => unknown) | undefined;
      if (!handler) return failure({ code: 'BAD_STATE', message: `${method} is not served yet; try again` });
      try {
        return { ok: true, result: await handler(parsed.value) };
      } catch (error) {
        if (error instanceof ApiFailure) {
          const apiError: ApiError = { code: error.code, message: error.message };
          if (error.field !== undefined) apiError.field = error.field;
          return failure(apiError);
        }
        return failure({ code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) });
      }
    },
  };
}

function failure(error: ApiError): ApiResult<never> {
  return { ok: false, error };
}
