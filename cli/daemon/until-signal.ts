/**
 * Resolves on SIGINT or SIGTERM, so a daemon can shut down cleanly — and keeps the
 * process alive until then, even while it has no connection open (a site waiting to
 * reconnect to a restarting coordinator must not simply exit).
 */
export function untilSignal<T = never>(orUntil?: Promise<T>): Promise<NodeJS.Signals | T> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals | T) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      clearInterval(keepAlive);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    // The daemon can also end by itself (a site refused for good): then nothing keeps it alive.
    orUntil?.then(done);
  });
}
