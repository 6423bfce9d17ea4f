/**
 * `transcribe`: finds voiced segments by short-time energy with hysteresis (20 ms frames,
 * 10 ms hop) and splits each into syllable-like words at energy dips. There is no speech
 * model: words are placeholders carrying their timing (`[speech 1.24s]`, `[word 0.21s]`).
 * Writes the draft transcript as `draft.json`.
 */
import type { StageHandler } from '@dalston/core';
import { detectSpeech, frameEnergy, syllableSpans } from '../dsp.js';
import type { TranscribeJob } from '../pipeline.js';
import {
  checkpoint,
  type DraftTranscript,
  loadPrepared,
  type SpeechSegment,
  seconds,
  type TranscribeOutput,
} from './shared.js';

/** The draft transcript of a mono signal. */
export function transcribeAudio(samples: Float32Array, sampleRate: number): DraftTranscript {
  const energy = frameEnergy(samples, sampleRate, 20, 10);
  const found = detectSpeech(samples, sampleRate, { frameMs: 20, hopMs: 10 });
  return {
    segments: found.map((s, i) => {
      const words = syllableSpans(energy, s).map((w) => ({
        text: `[word ${seconds(w.endMs - w.startMs)}]`,
        startMs: w.startMs,
        endMs: w.endMs,
      }));
      return { id: i + 1, ...s, text: `[speech ${seconds(s.endMs - s.startMs)}]`, words };
    }),
  };
}

export const transcribe: StageHandler<TranscribeJob, 'transcribe'> = async (ctx) => {
  const prepared = ctx.parents.prepare.output;
  const samples = await loadPrepared(ctx, prepared);
  await checkpoint(ctx, { pct: 10, note: `loaded ${samples.length} samples` });
  const draft = transcribeAudio(samples, prepared.sampleRate);
  for (const [i, s] of draft.segments.entries()) {
    await checkpoint(ctx, {
      pct: Math.round(10 + (80 * (i + 1)) / draft.segments.length),
      note: `segment ${i + 1}/${draft.segments.length} ${seconds(s.startMs)}–${seconds(s.endMs)} ${s.rmsDb} dB`,
    });
  }
  const put = await ctx.artifacts.put('draft.json', JSON.stringify(draft, null, 2), {
    contentType: 'application/json',
  });
  const segments: SpeechSegment[] = draft.segments.map(({ id, startMs, endMs, rmsDb }) => ({
    id,
    startMs,
    endMs,
    rmsDb,
  }));
  const wordCount = draft.segments.reduce((n, s) => n + s.words.length, 0);
  await checkpoint(ctx, { pct: 100, note: `${segments.length} segments, ${wordCount} words` });
  const output: TranscribeOutput = { segments, draftUri: put.uri, wordCount };
  return output;
};
