/**
 * Tasks run one at a time in the order they were asked for, each after the one before has finished (whether it
 * succeeded or not): the lock the host's mode switches take, as the node-llama-cpp template takes one around loads.
 */
export class SerialQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const turn = this.last.then(task);
    this.last = turn.catch(() => undefined);
    return turn;
  }
}
