// `npm run bench`: every benchmark, each measured side by side with its baseline in this run.
import { benchQueue, benchSessionRun } from './backend.bench.ts';
import { benchDefaultHooks, benchMonitoredSession } from './session.bench.ts';
import { benchCheckpoint } from './checkpoint.bench.ts';
import { benchTfjs } from './tfjs.bench.ts';

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log('-- embedded backend');
await benchSessionRun();
await benchQueue();
console.log('-- monitored session');
await benchMonitoredSession();
await benchDefaultHooks();
console.log('-- checkpoints');
await benchCheckpoint();
console.log('-- tfjs (same model and data, interleaved; ratios against a bare optimizer.minimize loop)');
await benchTfjs();
