/**
 * The bridge between the sandboxed page and the main process. It exposes the typed api (call + subscribe) and
 * nothing else: never ipcRenderer itself, never Node. Bundled to CommonJS (sandboxed preloads cannot be modules).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

import { IPC_CHANNELS, type JarClient, type ServerPush } from '../shared/api.js';

const jar: JarClient = {
  call: (method, params) => ipcRenderer.invoke(IPC_CHANNELS.call, method, params),
  chooseModel: () => ipcRenderer.invoke(IPC_CHANNELS.chooseModel) as Promise<string | null>,
  subscribe(listener) {
    const handler = (_event: IpcRendererEvent, message: ServerPush) => listener(message);
    ipcRenderer.on(IPC_CHANNELS.push, handler);
    ipcRenderer.send(IPC_CHANNELS.subscribe);
    return () => {
      ipcRenderer.removeListener(IPC_CHANNELS.push, handler);
    };
  },
};

contextBridge.exposeInMainWorld('jar', jar);
