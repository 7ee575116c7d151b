export {
  arraySource,
  type SeekableSource,
  type SourceElement,
  type SourceEnd,
  type SyncSeekableSource,
  type ArraySourceOptions,
} from './SeekableSource.ts';
export { RandomGenerator, randomGenerator, type RandomGeneratorOptions } from './RandomGenerator.ts';
export { exactResumeOf, restoresOf, type ResumeInfo } from './ResumeState.ts';
