/** The demo's typed handlers, split by queue for one `createWorker` per queue. */
import type { JobHandlers } from '@dalston/core';
import { align } from './handlers/align.js';
import { diarize } from './handlers/diarize.js';
import { merge } from './handlers/merge.js';
import { prepare } from './handlers/prepare.js';
import { transcribe } from './handlers/transcribe.js';
import type { QUEUES, TranscribeJob } from './pipeline.js';

/** Handlers by queue: each worker handles every stage of its queue (the engine checks it). */
export const handlersByQueue: Record<keyof typeof QUEUES, JobHandlers<TranscribeJob>> = {
  audio: { prepare, diarize },
  asr: { transcribe, align, merge },
};
