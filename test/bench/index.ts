// `npm run bench`: every benchmark, each measured side by side with its baseline in this run.
import { benchQueue, benchSessionRun } from './backend.bench.ts';
import { benchDefaultHooks, benchMonitoredSession } from './session.bench.ts';
import { benchCheckpoint } from './checkpoint.bench.ts';
import { benchResumeState } from './resume.bench.ts';
import { benchStartup } from './startup.bench.ts';
import { benchSummaryWriter } from './summary.bench.ts';

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.log('-- embedded backend');
await benchSessionRun();
await benchQueue();
console.log('-- monitored session');
await benchMonitoredSession();
await benchDefaultHooks();
console.log('-- summaries');
await benchSummaryWriter();
console.log('-- checkpoints');
await benchCheckpoint();
await benchResumeState();
console.log('-- start-up');
await benchStartup();
