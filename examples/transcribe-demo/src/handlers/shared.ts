/**
 * What every stage handler shares: the demo's job parameters, the shapes stages hand to
 * each other (task outputs are small JSON; audio and transcripts travel as artifacts), PCM
 * (de)serialisation, and a checkpoint that reports progress and honours cancellation.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JsonObject, type TaskContext, TaskFailure } from '@dalston/core';
import type { z } from 'zod';
import type { outputs } from '../pipeline.js';

/** Job parameters of the demo job type (what `checkpoint` reads from the untyped job). */
export type DemoParameters = {
  /** Artificial delay per processing step, so progress is visible on a terminal. */
  paceMs: number;
  /** How many diarize attempts fail on purpose (1 shows a retry; ≥ its maxAttempts, a skip). */
  diarizeFailures: number;
};

export function demoParameters(parameters: JsonObject): DemoParameters {
  const number = (key: string, fallback: number) => {
    const v = parameters[key];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  return { paceMs: number('paceMs', 0), diarizeFailures: number('diarizeFailures', 0) };
}

export type PrepareOutput = z.output<typeof outputs.prepare>;

export type SpeechSegment = { id: number; startMs: number; endMs: number; rmsDb: number };
export type Word = { text: string; startMs: number; endMs: number };

export type TranscribeOutput = z.output<typeof outputs.transcribe>;
/** The draft transcript artifact of `transcribe` (`draft.json`). */
export type DraftTranscript = { segments: (SpeechSegment & { text: string; words: Word[] })[] };

export type AlignOutput = z.output<typeof outputs.align>;

export type DiarizeOutput = z.output<typeof outputs.diarize>;

/** Reads a whole artifact stream into memory (the demo's files are small). */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return new Uint8Array(Buffer.concat(chunks));
}

/** Float samples as little-endian float32 bytes (the `prepared.pcm` format). */
export function pcmToBytes(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(samples.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) view.setFloat32(i * 4, samples[i]!, true);
  return out;
}

export function bytesToPcm(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0)
    throw new TaskFailure('prepared.pcm is not whole float32 samples', { retryable: false });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

/** The normalised audio written by `prepare`, read through the job-scoped artifact helper. */
export async function loadPrepared(
  ctx: Pick<TaskContext, 'artifacts'>,
  prepared: PrepareOutput,
): Promise<Float32Array> {
  return bytesToPcm(await readAll(await ctx.artifacts.get(prepared.uri)));
}

/**
 * One step of work done: stop if the attempt was aborted (cancel, timeout, shutdown),
 * report progress, and wait the demo's pace (abortably).
 */
export async function checkpoint(
  ctx: Pick<TaskContext, 'signal' | 'progress' | 'job'>,
  data: JsonObject,
): Promise<void> {
  ctx.signal.throwIfAborted();
  await ctx.progress(data);
  const { paceMs } = demoParameters(ctx.job.parameters);
  if (paceMs > 0) await sleep(paceMs, undefined, { signal: ctx.signal });
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;
