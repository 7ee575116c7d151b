// The Iris step on the Redis target next to the same step's raw client round trips (the floor).
import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { createClient, RESP_TYPES } from 'redis';
import { encodeArg, encodeStored } from '../../src/redis/codec.ts';
import { closeRedisConnections } from '../../src/redis/index.ts';
import { buildIrisModel, irisData } from '../../src/cli/iris.ts';
import { Session } from '../../src/index.ts';
import { startRedisServer } from '../helpers/redisServer.ts';
import { fmtRate, fmtUs, median, paired, pairedVerdict, report } from './harness.ts';

const run = promisify(execFile);

/** One Iris step through a Session on redis:// versus its raw round trips; throughput for 1, 2, 4 workers. */
export async function benchRedis(): Promise<void> {
  const server = await startRedisServer();
  try {
    const job = `bench${process.pid}`;
    const target = server.target(job, '&queues=local');
    const model = buildIrisModel({ seed: 1, faultRate: 0 });
    const data = irisData();
    const feed = new Map([[model.batch, { xs: data.xs.slice(0, 64), ys: data.ys.slice(0, 16) }]]);
    const sess = new Session(model.graph, { target });
    await sess.store.startEpoch!();
    await sess.run(model.graph.globalVariablesInitializer());
    await sess.store.markReady!();

    // The floor: the step's data traffic with a bare client, configured the same way, the same
    // commands and payloads as the step sends. Round trip 1 (auto-pipelined): the two weight
    // reads, the augmentation generator's state read, the step increment and the step read;
    // round trip 2: the generator's state write and the two weight writes. The runtime adds its
    // epoch check and the dataflow executor (graph, decoding, the model's own compute).
    const raw = createClient({
      url: `redis://127.0.0.1:${server.port}/0`,
      disableOfflineQueue: true,
      commandOptions: { timeout: 0, typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
    } as Parameters<typeof createClient>[0]);
    raw.on('error', () => {});
    await raw.connect();
    const w = encodeStored(new Float32Array(12), 'w');
    const b = encodeStored(new Float32Array(3), 'b');
    // A number goes as its text, as the step sends it.
    const state = encodeArg(3241602947, 'state');
    await raw.sendCommand(['SET', 'floor:w', w]);
    await raw.sendCommand(['SET', 'floor:b', b]);
    await raw.sendCommand(['SET', 'floor:state', state]);
    await raw.sendCommand(['SET', 'floor:step', '0']);
    const floorStep = async (): Promise<void> => {
      await Promise.all([
        raw.sendCommand(['GET', 'floor:w']),
        raw.sendCommand(['GET', 'floor:b']),
        raw.sendCommand(['GET', 'floor:state']),
        raw.sendCommand(['INCRBY', 'floor:step', '1']),
        raw.sendCommand(['GET', 'floor:step']),
      ]);
      await Promise.all([
        raw.sendCommand(['SET', 'floor:state', state]),
        raw.sendCommand(['SET', 'floor:w', w]),
        raw.sendCommand(['SET', 'floor:b', b]),
      ]);
    };
    // Paired rounds (seeded random order): each round times STEPS steps of each side, back to back,
    // and notes this process's CPU for them; the verdict is on the per-round ratios' spread.
    const steps = 1000;
    const rounds = Number(process.env['BENCH_REDIS_ROUNDS'] ?? 21);
    const cpu = { subject: [] as number[], floor: [] as number[] };
    const runtimeStep = (): Promise<unknown> => sess.run([model.train, model.step], feed);
    const loop = (step: () => Promise<unknown>, into: number[]) => async (): Promise<void> => {
      const start = process.cpuUsage();
      for (let i = 0; i < steps; i++) await step();
      const used = process.cpuUsage(start);
      into.push((used.user + used.system) / steps);
    };
    for (let i = 0; i < steps; i++) await runtimeStep();
    for (let i = 0; i < steps; i++) await floorStep();
    const times = await paired(rounds, loop(runtimeStep, cpu.subject), loop(floorStep, cpu.floor));
    const { mark, note, lo, mid, hi } = pairedVerdict(
      times.subject.map((ms, i) => ms / times.floor[i]!),
      1.15,
    );
    // On a loaded machine the ratio mostly measures scheduling: say so next to the verdict.
    const load = loadavg()[0]!;
    const loaded =
      load > availableParallelism() ? `; load average ${load.toFixed(1)} on ${availableParallelism()} cores` : '';
    const perStep = (ms: number): string => fmtUs((ms * 1e6) / steps);
    console.log(
      `${mark.padEnd(5)} ${'redis: Iris step (2 round trips) vs its raw round trips'.padEnd(52)} ` +
        `${perStep(median(times.subject))} vs ${perStep(median(times.floor))} = ${mid.toFixed(3)}x ` +
        `(IQR ${lo.toFixed(3)}x to ${hi.toFixed(3)}x over ${rounds} rounds; target <= 1.15x)${loaded}${note}`,
    );
    const [cpuRuntime, cpuFloor] = [median(cpu.subject), median(cpu.floor)];
    report(
      'redis: CPU of this process per step, same pair',
      `${cpuRuntime.toFixed(1)} µs vs ${cpuFloor.toFixed(1)} µs = ${(cpuRuntime / cpuFloor).toFixed(3)}x`,
      undefined,
    );
    // For the record (no verdict): the same pair with the step's local work added to the floor, i.e.
    // the raw round trips plus the same Iris step run in memory (the model's math, the executor).
    // What is left over that is what going remote costs beyond the bytes: codec, store, async path.
    const local = new Session(model.graph);
    await local.run(model.graph.globalVariablesInitializer());
    const floorPlusLocal = async (): Promise<void> => {
      await floorStep();
      await local.run([model.train, model.step], feed);
    };
    const withLocal = await paired(Math.ceil(rounds / 2), loop(runtimeStep, []), loop(floorPlusLocal, []));
    const local3 = pairedVerdict(
      withLocal.subject.map((ms, i) => ms / withLocal.floor[i]!),
      1.15,
    );
    report(
      'redis: same, floor + the same step in memory',
      `${perStep(median(withLocal.subject))} vs ${perStep(median(withLocal.floor))} = ${local3.mid.toFixed(3)}x ` +
        `(IQR ${local3.lo.toFixed(3)}x to ${local3.hi.toFixed(3)}x)`,
      undefined,
    );
    await local.close();
    await raw.close();
    await sess.close();

    const child = new URL('./redisWorker.ts', import.meta.url).pathname;
    const durationMs = 3000;
    // BENCH_REDIS_THROUGHPUT=0 skips these (for quick reruns of the ratio).
    for (const workers of process.env['BENCH_REDIS_THROUGHPUT'] === '0' ? [] : [1, 2, 4]) {
      const outs = await Promise.all(
        Array.from({ length: workers }, () =>
          run(process.execPath, ['--import', 'tsx', child, target, String(durationMs)], { timeout: 60_000 }),
        ),
      );
      const total = outs.reduce((sum, o) => sum + Number(o.stdout.trim()), 0);
      report(
        `redis: step throughput, ${workers} worker process${workers > 1 ? 'es' : ''}`,
        `${fmtRate((durationMs * 1e6) / total)} (${total} steps in ${durationMs / 1000} s)`,
        undefined,
      );
    }
  } finally {
    await closeRedisConnections();
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchRedis();
