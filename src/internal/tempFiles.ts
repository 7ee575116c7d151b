import { lstat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { crc32 } from 'node:zlib';
import { nanoid } from 'nanoid';

/** Marks temporary files: `<final name>.tmp-<host>-<pid>-<token>`. */
export const TMP_MARK = '.tmp-';

/**
 * How long a temporary nobody can vouch for is kept: one whose writer is on another host, or
 * one of the older `<name>.tmp-<token>` form. Its writer writes into it continuously, so a
 * temporary left untouched this long belongs to no live writer.
 */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;

const HOST = (crc32(hostname()) >>> 0).toString(16).padStart(8, '0');

/** A fresh temporary name for `file`, in its directory, carrying this host and the writing process. */
export function temporaryName(file: string, pid = process.pid): string {
  return `${file}${TMP_MARK}${HOST}-${pid}-${nanoid(8).replace(/-/g, '_')}`;
}

/** True when `name` (a base name) is a temporary file. */
export function isTemporary(name: string): boolean {
  return name.includes(TMP_MARK);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists and belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when the temporary `file` provably belongs to no live writer: its writer was a process
 * of this host that is gone, or it has not been written to for {@link STALE_TEMPORARY_MS}.
 */
export async function isAbandoned(file: string, now = Date.now()): Promise<boolean> {
  const tail = file.slice(file.lastIndexOf(TMP_MARK) + TMP_MARK.length);
  const m = /^([0-9a-f]{8})-(\d+)-[A-Za-z0-9_]+$/.exec(tail);
  if (m && m[1] === HOST) {
    const pid = Number(m[2]);
    if (pid !== process.pid && !alive(pid)) return true;
  }
  try {
    return now - (await lstat(file)).mtimeMs > STALE_TEMPORARY_MS;
  } catch {
    return false;
  }
}
