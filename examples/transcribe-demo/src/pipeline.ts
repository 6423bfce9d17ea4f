/**
 * The demo's job type and which worker runs what.
 *
 *   prepare ─▶ transcribe ─┬─▶ align ────────────┬─▶ merge
 *                          └─▶ diarize (optional) ┘
 *
 * Two queues, as a host would split them by resource: `audio` (decode, pitch) and `asr`
 * (segmentation, alignment, assembly). Later stages also list earlier ones they read
 * from (`prepare`'s audio, `transcribe`'s draft), since a handler sees only its direct
 * parents' outputs. Every stage's output has a zod schema: the handlers' `ctx.parents` are
 * typed from them, and the engine parses each output with them at completion.
 */
import { defineJob } from '@dalston/core';
import { z } from 'zod';

export const STAGES = ['prepare', 'transcribe', 'align', 'diarize', 'merge'] as const;
export type Stage = (typeof STAGES)[number];

export const QUEUES = { audio: 'audio', asr: 'asr' } as const;

const quickRetry = { kind: 'fixed', delayMs: 200 } as const;

const speechSegment = z.object({ id: z.int(), startMs: z.number(), endMs: z.number(), rmsDb: z.number() });

export const outputs = {
  prepare: z.object({
    uri: z.string(),
    sampleRate: z.int().positive(),
    durationMs: z.number(),
    sourceChannels: z.int(),
    sourceBitsPerSample: z.int(),
    /** Gain applied by peak normalisation, dB. */
    gainDb: z.number(),
  }),
  transcribe: z.object({ segments: z.array(speechSegment), draftUri: z.string(), wordCount: z.int() }),
  align: z.object({
    segments: z.array(
      z.object({
        id: z.int(),
        startMs: z.number(),
        endMs: z.number(),
        startShiftMs: z.number(),
        endShiftMs: z.number(),
      }),
    ),
  }),
  diarize: z.object({
    speakers: z.array(z.object({ id: z.string(), pitchHz: z.number().nullable() })),
    segments: z.array(
      z.object({ id: z.int(), speaker: z.string(), pitchHz: z.number().nullable(), zcr: z.number() }),
    ),
  }),
  merge: z.object({
    transcriptUri: z.string(),
    size: z.int(),
    segmentCount: z.int(),
    wordCount: z.int(),
    speakers: z.array(z.string()),
    diarization: z.enum(['completed', 'skipped']),
  }),
};

/** The demo's one job type: parameters and the stage catalogue. */
export const transcribeJob = defineJob({
  parameters: z.object({
    /** Seed of the generated audio (informational: the audio is the job's input). */
    seed: z.int().optional(),
    /** Artificial delay per processing step, so progress is visible on a terminal. */
    paceMs: z.number().min(0).default(0),
    /** How many diarize attempts fail on purpose (1 shows a retry; ≥ its maxAttempts, a skip). */
    diarizeFailures: z.int().min(0).default(0),
  }),
  stages: {
    prepare: {
      queue: QUEUES.audio,
      maxAttempts: 2,
      timeoutMs: 30_000,
      backoff: quickRetry,
      output: outputs.prepare,
    },
    transcribe: {
      queue: QUEUES.asr,
      dependsOn: ['prepare'],
      timeoutMs: 60_000,
      backoff: quickRetry,
      output: outputs.transcribe,
    },
    align: {
      queue: QUEUES.asr,
      dependsOn: ['prepare', 'transcribe'],
      timeoutMs: 30_000,
      backoff: quickRetry,
      output: outputs.align,
    },
    diarize: {
      queue: QUEUES.audio,
      dependsOn: ['prepare', 'transcribe'],
      required: false,
      maxAttempts: 2,
      timeoutMs: 60_000,
      backoff: quickRetry,
      output: outputs.diarize,
    },
    merge: {
      queue: QUEUES.asr,
      dependsOn: ['prepare', 'transcribe', 'align', 'diarize'],
      timeoutMs: 30_000,
      backoff: quickRetry,
      output: outputs.merge,
    },
  },
});

export type TranscribeJob = typeof transcribeJob;
/** The engine's job types. */
export const jobs = { transcribe: transcribeJob };
