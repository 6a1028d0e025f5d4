/**
 * Resolves on SIGINT or SIGTERM, so a daemon can shut down cleanly — and keeps the
 * process alive until then, even while it has no connection open (a site waiting to
 * reconnect to a restarting coordinator must not simply exit).
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      clearInterval(keepAlive);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
