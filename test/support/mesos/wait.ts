// Waiting on conditions in tests, instead of sleeping.

export { waitFor } from '../wait';

/** Resolves with the arguments of the next `event` from `emitter` that satisfies `filter`. */
export function nextEvent<A extends unknown[]>(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  emitter: { on(e: any, l: any): unknown; off(e: any, l: any): unknown },
  event: string,
  timeoutMs = 5000,
  filter: (...args: A) => boolean = () => true,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: A): void => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event '${event}'`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}
