/**
 * A reader that goes away (`fleetpulse devices list | head -1`) closes the pipe: the next write
 * fails with EPIPE, which Node raises as an unhandled 'error' event and a stack trace. Nobody is
 * left to read the rest, so the CLI stops there, quietly and successfully, as Unix tools do.
 */
export function exitQuietlyWhenReaderCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
