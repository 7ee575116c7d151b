// Loaded before every test file (`node --import`): an unhandled promise rejection anywhere fails
// the file, because a runtime that leaks rejections is broken even when every assertion passed.
process.on('unhandledRejection', (reason) => {
  console.error('Unhandled promise rejection:', reason);
  process.exitCode = 1;
  throw reason;
});
