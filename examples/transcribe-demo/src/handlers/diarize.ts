/**
 * `diarize` (optional stage): who spoke when, by voice pitch. Each segment's dominant pitch
 * (median autocorrelation f0 over 40 ms frames) is measured with its zero-crossing rate,
 * and segments are split into at most two speakers by 2-means on log pitch. Speakers are
 * named S1, S2 in order of first appearance.
 *
 * For the demo it can fail on purpose: the job parameter `diarizeFailures` makes that many
 * first attempts throw a (retryable) error, to show retries and, past maxAttempts, a skip.
 */
import type { StageHandler } from '@dalston/core';
import { round1, type SegmentVoice, segmentVoice, twoWaySplit } from '../dsp.js';
import type { TranscribeJob } from '../pipeline.js';
import { checkpoint, type DiarizeOutput, loadPrepared, type SpeechSegment } from './shared.js';

/** Labels segments with speakers from their measured voices (one per segment, same order). */
export function labelSpeakers(segments: SpeechSegment[], voices: SegmentVoice[]): DiarizeOutput {
  const groups = twoWaySplit(voices.map((v) => v.pitchHz));
  const names = new Map<number, string>();
  const speakerOf = (group: number) => {
    if (group < 0) return 'unknown';
    if (!names.has(group)) names.set(group, `S${names.size + 1}`);
    return names.get(group)!;
  };
  const labelled = segments.map((s, i) => ({
    id: s.id,
    speaker: speakerOf(groups[i]!),
    pitchHz: voices[i]!.pitchHz,
    zcr: voices[i]!.zcr,
  }));
  const speakers = [...new Set(labelled.map((s) => s.speaker))].map((id) => {
    const pitches = labelled.filter((s) => s.speaker === id && s.pitchHz !== null).map((s) => s.pitchHz!);
    const mean = pitches.length ? round1(pitches.reduce((a, b) => a + b, 0) / pitches.length) : null;
    return { id, pitchHz: mean };
  });
  return { speakers, segments: labelled };
}

export function diarizeSegments(
  samples: Float32Array,
  sampleRate: number,
  segments: SpeechSegment[],
): DiarizeOutput {
  return labelSpeakers(
    segments,
    segments.map((s) => segmentVoice(samples, sampleRate, s)),
  );
}

export const diarize: StageHandler<TranscribeJob, 'diarize'> = async (ctx) => {
  const prepared = ctx.parents.prepare.output;
  const { segments } = ctx.parents.transcribe.output;
  const samples = await loadPrepared(ctx, prepared);
  await checkpoint(ctx, { pct: 20, note: `measuring pitch of ${segments.length} segments` });
  if (ctx.attempt <= ctx.parameters.diarizeFailures) {
    throw new Error(`simulated transient failure on attempt ${ctx.attempt}: pitch tracker unavailable`);
  }
  // Pitch tracking is the expensive part: one segment at a time, with a checkpoint after each.
  const voices: SegmentVoice[] = [];
  for (const [i, s] of segments.entries()) {
    const voice = segmentVoice(samples, prepared.sampleRate, s);
    voices.push(voice);
    await checkpoint(ctx, {
      pct: Math.round(20 + (70 * (i + 1)) / segments.length),
      note: `segment ${i + 1}/${segments.length}: ${voice.pitchHz ?? '?'} Hz, ZCR ${voice.zcr}/s`,
    });
  }
  const result = labelSpeakers(segments, voices);
  await checkpoint(ctx, {
    pct: 100,
    note: result.speakers.map((s) => `${s.id} ~${s.pitchHz ?? '?'} Hz`).join(', '),
  });
  return result;
};
