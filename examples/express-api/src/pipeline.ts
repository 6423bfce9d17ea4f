/**
 * The example's job type: a transcription-shaped DAG. `prepare` reads the upload,
 * `transcribe` and the optional `diarize` run on its output, `merge` writes the
 * transcript JSON as the job's output artifact. Each stage's output has a zod schema
 * (the handlers' parents are typed from it; the engine checks it at completion).
 */
import { defineJob } from '@dalston/core';
import { z } from 'zod';

export const parametersSchema = z.strictObject({
  /** BCP 47 language tag, e.g. `en` or `pt-BR`. */
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a language tag such as "en" or "pt-BR"')
    .default('en'),
  /** Run the optional speaker-diarisation stage. */
  diarize: z.boolean().default(false),
  /** Expected speakers (diarisation hint). */
  speakers: z.int().min(1).max(32).optional(),
});
export type TranscriptionParameters = z.output<typeof parametersSchema>;

/** The output artifact's name under `tenants/{t}/jobs/{j}/output/`. */
export const TRANSCRIPT_NAME = 'transcript.json';

/** The example's one job type. `diarize` is optional: the plan leaves it out unless asked for. */
export const transcriptionJob = defineJob({
  parameters: parametersSchema,
  stages: {
    prepare: {
      queue: 'audio',
      timeoutMs: 120_000,
      output: z.object({ bytes: z.int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    },
    transcribe: {
      queue: 'asr',
      dependsOn: ['prepare'],
      output: z.object({
        language: z.string(),
        segments: z.array(z.object({ start: z.number(), end: z.number(), text: z.string() })),
      }),
    },
    diarize: {
      queue: 'asr',
      dependsOn: ['prepare'],
      required: false,
      output: z.object({ speakers: z.int() }),
    },
    merge: {
      queue: 'audio',
      dependsOn: ['transcribe', 'diarize'],
      output: z.object({ transcript: z.string(), bytes: z.int() }),
    },
  },
  plan: (p) => (p.diarize ? {} : { omit: ['diarize'] }),
});

/** The engine's job types. */
export const jobs = { transcribe: transcriptionJob };
export type Jobs = typeof jobs;
