// Loaded before every test file (`node --import`): an unhandled promise rejection anywhere fails
// the file, because a runtime that leaks rejections is broken even when every assertion passed.
process.on('unhandledRejection', (reason) => {
  console.error('Unhandled promise rejection:', reason);
  process.exitCode = 1;
  throw reason;
});

// The runtime's warnings (recoveries, abandoned producers) are expected in tests; keep the output
// readable unless MONITORED_SESSION_LOG asks for them.
if (process.env['MONITORED_SESSION_LOG'] === undefined) {
  const { setLogger, silentLogger } = await import('../../src/logger.ts');
  setLogger(silentLogger);
}
