/**
 * The demo's pipeline and which worker runs what.
 *
 *   prepare ─▶ transcribe ─┬─▶ align ────────────┬─▶ merge
 *                          └─▶ diarize (optional) ┘
 *
 * Two queues, as a host would split them by resource: `audio` (decode, pitch) and `asr`
 * (segmentation, alignment, assembly). Later stages also list earlier ones they read
 * from (`prepare`'s audio, `transcribe`'s draft), since a handler sees only its direct
 * parents' outputs.
 */
import type { JsonObject, Pipeline, TaskHandler, TaskSpec } from '@dalston/core';
import { align } from './handlers/align.js';
import { diarize } from './handlers/diarize.js';
import { merge } from './handlers/merge.js';
import { prepare } from './handlers/prepare.js';
import { transcribe } from './handlers/transcribe.js';

export const STAGES = ['prepare', 'transcribe', 'align', 'diarize', 'merge'] as const;
export type Stage = (typeof STAGES)[number];

export const QUEUES = { audio: 'audio', asr: 'asr' } as const;

const quickRetry = { kind: 'fixed', delayMs: 200 } as const;

export const transcribePipeline: Pipeline<JsonObject> = {
  build: (): TaskSpec[] => [
    { stage: 'prepare', queue: QUEUES.audio, maxAttempts: 2, timeoutMs: 30_000, backoff: quickRetry },
    {
      stage: 'transcribe',
      queue: QUEUES.asr,
      dependsOn: ['prepare'],
      timeoutMs: 60_000,
      backoff: quickRetry,
    },
    {
      stage: 'align',
      queue: QUEUES.asr,
      dependsOn: ['prepare', 'transcribe'],
      timeoutMs: 30_000,
      backoff: quickRetry,
    },
    {
      stage: 'diarize',
      queue: QUEUES.audio,
      dependsOn: ['prepare', 'transcribe'],
      required: false,
      maxAttempts: 2,
      timeoutMs: 60_000,
      backoff: quickRetry,
    },
    {
      stage: 'merge',
      queue: QUEUES.asr,
      dependsOn: ['prepare', 'transcribe', 'align', 'diarize'],
      timeoutMs: 30_000,
      backoff: quickRetry,
    },
  ],
};

/** Handlers by queue, for one `createWorker` per queue. */
export const handlersByQueue: Record<keyof typeof QUEUES, Record<string, TaskHandler>> = {
  audio: { prepare, diarize },
  asr: { transcribe, align, merge },
};
