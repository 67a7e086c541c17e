import type { ExportFile } from '../../../shared/history.js';
import type { Host } from '../host.js';
import { SessionHistory } from '../store/sessionHistory.js';
import { exportSession, type Export } from '../store/sessionExport.js';
import { keptToken, renewToken, type KeptToken } from './panelToken.js';
import type { WebServer } from './webServer.js';
import { isLoopback } from './webServer.js';

/**
 * What the panel offers besides the host's own methods: its history (the data folder's sessions, read and
 * exported) and its token (kept across runs, replaced on request). Made before the web server listens (the token
 * must be known), bound to it once it exists.
 */
export class PanelService {
  readonly history: SessionHistory;
  private token: KeptToken;
  private web: WebServer | null = null;

  constructor(
    private readonly host: Host,
    private readonly flags: { newToken: boolean; webHost: string },
  ) {
    this.history = new SessionHistory(host.store.paths.sessions, host.store.sessionId);
    this.token = keptToken({ dataDir: host.dataDir, renew: flags.newToken, network: this.network });
    for (const notice of this.token.notices) host.log.warn('web', notice);
  }

  get currentToken(): string {
    return this.token.token;
  }

  exportOf(session: string, file: ExportFile): Export {
    const metrics = () => this.host.snapshot().metrics;
    return exportSession(this.history, session, file, metrics, this.host.store.sessionId);
  }

  /** Serves the panel's methods through the host's api table, for both transports. */
  bind(web: WebServer): void {
    this.web = web;
    this.host.api.provide({
      'history.list': ({ offset, limit }) => this.history.list(offset, limit),
      'history.read': ({ session, part, instance, from, limit }) =>
        this.history.read(session, part, instance, from, limit),
      'token.info': () => ({ madeAt: this.token.madeAt, network: this.token.network }),
      'token.renew': () => this.renew(),
    });
  }

  private get network(): boolean {
    return !isLoopback(this.flags.webHost);
  }

  private renew() {
    const made = renewToken(this.host.dataDir, this.network);
    this.token = { ...made, notices: [] };
    this.web?.replaceToken(made.token);
    // The address is said where the operator looks for it: the log (and stdout, for a service's journal).
    this.host.log.warn('web', `the panel's token was replaced; its new address: ${this.web?.url ?? '(not serving)'}`);
    return { token: made.token, madeAt: made.madeAt, network: made.network };
  }
}
