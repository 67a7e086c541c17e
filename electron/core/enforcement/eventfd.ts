import koffi from 'koffi';

/**
 * eventfd(2) and poll(2) for the kernel line watcher's thread. Node has neither. koffi (an FFI package) is used
 * rather than a native helper built with gcc at install: koffi ships prebuilt N-API binaries for linux x64 and arm64
 * as per-arch npm packages (@koromix/koffi-linux-*), so nothing is compiled on the board, no install script runs
 * (package.json's allowScripts denies it; the prebuilt binary loads without it), and electron-builder ships only
 * the target arch's copy. Loaded only inside that thread: the host's main loop never calls into it.
 */

const EFD_CLOEXEC = 0o2000000;
const POLLIN = 0x1;
const EINTR = 4;
const POLLFD_BYTES = 8;

export interface Kernel {
  /** A new eventfd (close-on-exec, so no worker inherits it). */
  eventfd(): number;
  /**
   * close(2) of an eventfd. Not fs.closeSync: Node did not open it, and a worker thread warns ("closed but not opened
   * in unmanaged mode") on every fd it closes that it did not open.
   */
  close(fd: number): void;
  /** poll(2) for readability on `fds`; the fds that are readable (empty on the timeout). -1 waits for ever. */
  pollReadable(fds: readonly number[], timeoutMs: number): number[];
}

export function loadKernel(): Kernel {
  const libc = koffi.load('libc.so.6');
  const eventfd = libc.func('int eventfd(unsigned int initval, int flags)');
  const poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const close = libc.func('int close(int fd)');
  const errno = () => koffi.errno();
  return {
    eventfd() {
      const fd = eventfd(0, EFD_CLOEXEC) as number;
      if (fd < 0) throw new Error(`eventfd failed (errno ${errno()})`);
      return fd;
    },
    close(fd) {
      close(fd);
    },
    pollReadable(fds, timeoutMs) {
      const buffer = Buffer.alloc(fds.length * POLLFD_BYTES);
      fds.forEach((fd, i) => {
        buffer.writeInt32LE(fd, i * POLLFD_BYTES);
        buffer.writeInt16LE(POLLIN, i * POLLFD_BYTES + 4);
      });
      const ready = poll(buffer, fds.length, Math.round(timeoutMs)) as number;
      if (ready < 0) {
        if (errno() === EINTR) return [];
        throw new Error(`poll failed (errno ${errno()})`);
      }
      return fds.filter((_, i) => buffer.readInt16LE(i * POLLFD_BYTES + 6) !== 0);
    },
  };
}
