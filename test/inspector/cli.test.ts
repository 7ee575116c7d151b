/** `train --inspect --record FILE` and `replay FILE`, run as a user runs them. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InspectorRecord } from '../../src/inspector/index.ts';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** Starts the CLI; resolves the first URL it prints after `label`, and its exit. */
function start(
  args: string[],
  label: string,
): { child: ChildProcess; url: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stderr = '';
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
      const m = new RegExp(`${label}: (http://127\\.0\\.0\\.1:\\d+/[\\w-]+/)`).exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`exited before printing a URL: ${stderr}`)));
  });
  url.catch(() => {});
  child.stdout!.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exit.then(() => clearTimeout(timer));
  return { child, url, exit };
}

describe('CLI inspector flags', { timeout: 90_000 }, () => {
  it('train --inspect prints the page URL and --record writes a replayable recording; replay FILE serves it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-inspect-'));
    try {
      const recording = path.join(dir, 'lifecycle.jsonl');
      const run = start(
        [
          'train',
          '--inspect',
          '--record',
          recording,
          '--steps',
          '400',
          '--fault-rate',
          '0.005',
          '--checkpoint-dir',
          path.join(dir, 'ck'),
          '--json',
        ],
        'Inspector',
      );
      const url = await run.url;
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /monitored-session inspector/);
      assert.equal(await run.exit, 0);

      const lines = (await readFile(recording, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as InspectorRecord & { type: string });
      assert.equal(lines[0]!.type, 'meta');
      const roots = lines.filter((r) => r.kind === 'root' && r.type === '@xstate.snapshot');
      assert.equal(roots.at(-1)!.state, 'closed');
      assert.ok(lines.some((r) => r.type === 'end' && r.reason === 'stopRequested'));
      assert.ok(
        lines.slice(1).every((r) => typeof r.t === 'number' && typeof r.seq === 'number'),
        'every line has its time',
      );

      const viewer = start(['replay', recording], 'Replay');
      const served = await fetch(`${await viewer.url}recording.jsonl`);
      assert.equal(await served.text(), await readFile(recording, 'utf8'));
      viewer.child.kill('SIGINT');
      assert.equal(await viewer.exit, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
