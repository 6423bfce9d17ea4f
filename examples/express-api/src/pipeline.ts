/**
 * The example's pipeline: a transcription-shaped DAG. `prepare` reads the upload,
 * `transcribe` and the optional `diarize` run on its output, `merge` writes the
 * transcript JSON as the job's output artifact.
 */
import type { Pipeline, TaskSpec } from '@dalston/core';
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

export const transcriptionPipeline: Pipeline<TranscriptionParameters> = {
  parameters: parametersSchema,
  build(p) {
    const tasks: TaskSpec[] = [
      { stage: 'prepare', queue: 'audio', timeoutMs: 120_000 },
      { stage: 'transcribe', queue: 'asr', dependsOn: ['prepare'] },
    ];
    if (p.diarize) tasks.push({ stage: 'diarize', queue: 'asr', dependsOn: ['prepare'], required: false });
    tasks.push({
      stage: 'merge',
      queue: 'audio',
      dependsOn: p.diarize ? ['transcribe', 'diarize'] : ['transcribe'],
    });
    return tasks;
  },
};
