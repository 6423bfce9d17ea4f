import { sessionArchiveContract } from '@dalston/core/contract';
import { MemorySessionArchive } from '../src/session-archive.js';
import { memoryFixture } from './memory-fixtures.js';

sessionArchiveContract(
  'memory',
  memoryFixture(() => new MemorySessionArchive()),
);
