/**
 * Small state files that must survive a crash whole: written to a temporary file, fsync'd, renamed
 * over the old one, and the rename made durable. A reader sees the old content or the new, never
 * a torn write.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeFileDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDirectory(dirname(path));
}

/** Makes the rename durable. Some platforms (Windows) cannot open a directory: best effort there. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported on this platform; the file itself is already fsync'd
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
