/**
 * A closed-loop load generator: `concurrency` loops each send one request, wait for its answer and
 * send the next, until the time is up. `send` gets a running number, unique per generator.
 */
export function closedLoop(
  concurrency: number,
  send: (n: number) => Promise<unknown>,
): (ms: number) => Promise<number> {
  let n = 0;
  return async (ms) => {
    const until = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await send(n++);
          done++;
        }
      }),
    );
    return done;
  };
}
