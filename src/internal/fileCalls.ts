import {
  close,
  closeSync,
  fstat,
  fstatSync,
  fsync,
  link,
  linkSync,
  lstat,
  lstatSync,
  open,
  openSync,
  read,
  readSync,
  rename,
  renameSync,
  stat,
  statSync,
  statfs,
  unlink,
  unlinkSync,
  writev,
  writevSync,
  type Stats,
  type StatsFs,
} from 'node:fs';

/**
 * The system calls that write a file, made one of two ways:
 *
 * - `threadPool`: each call goes to libuv's thread pool and resolves on the event loop, so a
 *   slow file system (a network mount, a stalled disk) never blocks the loop;
 * - `inline`: each call runs on the calling thread, as TensorFlow's own file writers do. On a
 *   local disk an `open`, a small `write`, a `rename` or a `close` takes a few microseconds in
 *   the kernel, less than one round trip through the thread pool, so a small checkpoint with a
 *   dozen such calls saves in a fraction of the time.
 *
 * `fsync` is never inline: it waits for the device and always runs in the thread pool. Nor is
 * `remove`, the unlink of a file whose blocks are on disk (a dropped checkpoint's): freeing them
 * takes hundreds of microseconds on ext4, so several run at once in the thread pool.
 * Descriptors are plain numbers (a `FileHandle`, with its event emitter and transfer machinery,
 * costs more than the system call on this path); their owners close them on every path.
 */
export interface FileCalls {
  open(file: string, flags: string | number): Promise<number>;
  fstat(fd: number): Promise<Stats>;
  stat(file: string): Promise<Stats>;
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  writev(fd: number, pieces: Uint8Array[]): Promise<number>;
  /** Always in the thread pool: it waits for the device. */
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, name: string): Promise<void>;
  unlink(file: string): Promise<void>;
  /** Unlinks a file whose data may be on disk (a dropped checkpoint's): always in the thread pool. */
  remove(file: string): Promise<void>;
  /** False only when no entry is named `file` (ENOENT); any other answer is true. Never throws. */
  taken(file: string): Promise<boolean>;
}

type Done<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

function call<T>(fn: (done: Done<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));
}

/** Runs `fn` now; its result or its error as a settled promise. */
function now<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** fsync, always in the thread pool. */
const syncFd = (fd: number): Promise<void> => call((done) => fsync(fd, done));
/** An unlink that may free blocks, always in the thread pool. */
const removeFile = (file: string): Promise<void> => call((done) => unlink(file, done));

export const threadPool: FileCalls = {
  fsync: syncFd,
  fstat: (fd) => call((done) => fstat(fd, done)),
  stat: (file) => call((done) => stat(file, done)),
  read: (fd, buffer, offset, length, position) => call((done) => read(fd, buffer, offset, length, position, done)),
  open: (file, flags) => call((done) => open(file, flags, done)),
  writev: (fd, pieces) => call((done) => writev(fd, pieces, done)),
  close: (fd) => call((done) => close(fd, done)),
  rename: (from, to) => call((done) => rename(from, to, done)),
  link: (existing, name) => call((done) => link(existing, name, done)),
  unlink: (file) => call((done) => unlink(file, done)),
  remove: removeFile,
  taken: (file) => new Promise((resolve) => lstat(file, (error) => resolve(error?.code !== 'ENOENT'))),
};

export const inline: FileCalls = {
  fsync: syncFd,
  fstat: (fd) => now(() => fstatSync(fd)),
  stat: (file) => now(() => statSync(file)),
  read: (fd, buffer, offset, length, position) => now(() => readSync(fd, buffer, offset, length, position)),
  open: (file, flags) => now(() => openSync(file, flags)),
  writev: (fd, pieces) => now(() => writevSync(fd, pieces)),
  close: (fd) => now(() => closeSync(fd)),
  rename: (from, to) => now(() => renameSync(from, to)),
  link: (existing, name) => now(() => linkSync(existing, name)),
  unlink: (file) => now(() => unlinkSync(file)),
  remove: removeFile,
  taken: (file) => now(() => lstatSync(file, { throwIfNoEntry: false }) !== undefined).catch(() => true),
};

/**
 * Local disk file systems, by their `statfs` magic number (Linux): ext2/3/4, XFS, Btrfs, F2FS,
 * tmpfs, overlayfs (containers), ZFS. Anything else (NFS, SMB, FUSE mounts, unknown) is treated
 * as possibly slow.
 */
const LOCAL = new Set([0xef53, 0x58465342, 0x9123683e, 0xf2f52010, 0x01021994, 0x794c7630, 0x2fc12fc1]);

/**
 * The calls to write small files into `dir` with: `inline` on a known local disk (Linux), else
 * `threadPool`. Never throws: a directory that cannot be inspected gets `threadPool`.
 */
export async function callsFor(dir: string): Promise<FileCalls> {
  if (process.platform !== 'linux') return threadPool;
  const known = byDirectory.get(dir);
  if (known !== undefined) return known;
  // A path statfs refuses at once (a null byte) rejects like one it cannot inspect: no answer.
  const type = await call<StatsFs>((done) => statfs(dir, done)).then(
    (stats) => stats.type,
    () => undefined,
  );
  if (type === undefined) return threadPool; // not there (yet): ask again next time
  const calls = LOCAL.has(type) ? inline : threadPool;
  if (byDirectory.size >= 1024) byDirectory.clear();
  byDirectory.set(dir, calls);
  return calls;
}

/** `callsFor`'s answers: a directory's file system does not change under a running process. */
const byDirectory = new Map<string, FileCalls>();

/** Up to this many bytes a file counts as small: its calls may run inline (see `callsFor`). */
export const SMALL_FILE = 1 << 20;

/** `calls` for a file of `bytes`, else (a large file, where a read or write takes long) the thread pool. */
export function callsForSize(calls: FileCalls, bytes: number): FileCalls {
  return bytes <= SMALL_FILE ? calls : threadPool;
}
