/**
 * Task handlers for the example pipeline. The "transcription" is simulated (a
 * deterministic transcript derived from the input's hash, after `stageDelayMs`), but the
 * I/O is real: the input is streamed from the artifact store and the transcript is
 * written back to it.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dalston, JobHandlers } from '@dalston/core';
import { type Jobs, TRANSCRIPT_NAME } from './pipeline.js';

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

type Handlers = Required<JobHandlers<Jobs['transcribe']>>;

/** Typed handlers of the `transcribe` job type (`ctx.parameters` and `ctx.parents` are inferred). */
export function createHandlers(dalston: Dalston<Jobs>, stageDelayMs: number): Handlers {
  const pause = (signal: AbortSignal) => sleep(stageDelayMs, undefined, { signal });

  const prepare: Handlers['prepare'] = async (ctx) => {
    const hash = createHash('sha256');
    let bytes = 0;
    if (ctx.artifacts.inputUri) {
      const body = await ctx.artifacts.get(ctx.artifacts.inputUri);
      ctx.signal.addEventListener('abort', () => body.destroy(), { once: true });
      for await (const chunk of body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    }
    await pause(ctx.signal);
    return { bytes, sha256: hash.digest('hex') };
  };

  const transcribe: Handlers['transcribe'] = async (ctx) => {
    const prepared = ctx.parents.prepare.output;
    for (const percent of [25, 50, 75]) {
      await pause(ctx.signal);
      await ctx.progress({ percent });
    }
    const seed = Number.parseInt(prepared.sha256.slice(0, 8), 16);
    const segments = [0, 1, 2].map((i) => ({
      start: i * 2,
      end: i * 2 + 2,
      text: [0, 1, 2].map((w) => WORDS[(seed + i * 3 + w) % WORDS.length]).join(' '),
    }));
    return { language: ctx.parameters.language, segments };
  };

  const diarize: Handlers['diarize'] = async (ctx) => {
    await pause(ctx.signal);
    return { speakers: ctx.parameters.speakers ?? 2 };
  };

  const merge: Handlers['merge'] = async (ctx) => {
    const transcript = {
      jobId: ctx.job.id,
      ...ctx.parents.transcribe.output,
      // null when diarize was not asked for (left out by the plan) or was skipped
      speakers: ctx.parents.diarize.output?.speakers ?? null,
    };
    const put = await dalston.artifacts.put(
      ctx.job.tenantId,
      ctx.job.id,
      TRANSCRIPT_NAME,
      JSON.stringify(transcript),
      { contentType: 'application/json' },
    );
    if (put.isErr()) throw put.error;
    return { transcript: put.value.uri, bytes: put.value.size };
  };

  return { prepare, transcribe, diarize, merge };
}
