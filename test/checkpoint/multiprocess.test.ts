import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SAVES = Number(process.env['MULTIPROCESS_SAVES'] ?? 120);
const child = fileURLToPath(new URL('../helpers/ckptProcess.ts', import.meta.url));

function run(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 240_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${args[0]} exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.trim()) as Record<string, unknown>);
    });
  });
}

describe('one checkpoint directory, a training process and an evaluator process', () => {
  it(`${SAVES} saves while an evaluator restores in a loop: 0 failed saves, 0 wrong values`, { timeout: 300_000 }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ms-multi-'));
    const [trainer, evaluator] = await Promise.all([run(['train', dir, String(SAVES)]), run(['evaluate', dir])]);
    console.log(`multi-process: trainer ${JSON.stringify(trainer)}, evaluator ${JSON.stringify(evaluator)}`);
    assert.equal(trainer['failed'], 0, `failed saves: ${JSON.stringify(trainer['errors'])}`);
    assert.equal(evaluator['mismatches'], 0);
    assert.equal(evaluator['errorCount'], 0, JSON.stringify(evaluator['errors']));
    assert.ok((evaluator['restored'] as number) > 0, 'the evaluator restored nothing');
  });
});
