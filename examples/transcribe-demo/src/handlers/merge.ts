/**
 * `merge`: combines the parents' outputs into the final transcript (`transcript.json`):
 * aligned segment times, speakers (all "unknown" when the optional diarize stage was
 * skipped), placeholder words fitted to the aligned boundaries, and summary stats.
 */
import type { StageHandler } from '@dalston/core';
import { round1 } from '../dsp.js';
import type { TranscribeJob } from '../pipeline.js';
import {
  type AlignOutput,
  checkpoint,
  type DiarizeOutput,
  type DraftTranscript,
  readAll,
  type Word,
} from './shared.js';

export type Transcript = {
  jobId: string;
  source: { uri: string | null; durationMs: number; sampleRate: number };
  segments: {
    id: number;
    startMs: number;
    endMs: number;
    speaker: string;
    pitchHz: number | null;
    rmsDb: number;
    text: string;
    words: Word[];
  }[];
  speakers: { id: string; pitchHz: number | null; segments: number; talkTimeMs: number }[];
  stats: {
    segmentCount: number;
    wordCount: number;
    speechMs: number;
    silenceMs: number;
    speechRatio: number;
    diarization: 'completed' | 'skipped';
  };
};

export type MergeOutput = {
  transcriptUri: string;
  size: number;
  segmentCount: number;
  wordCount: number;
  speakers: string[];
  diarization: 'completed' | 'skipped';
};

export interface MergeInput {
  jobId: string;
  source: Transcript['source'];
  draft: DraftTranscript;
  align: AlignOutput;
  diarize: DiarizeOutput | null;
}

/** Moves the first word's start and the last word's end onto the aligned boundaries. */
function fitWords(words: Word[], startMs: number, endMs: number): Word[] {
  return words.map((w, i) => ({
    text: w.text,
    startMs: i === 0 ? startMs : Math.max(startMs, w.startMs),
    endMs: i === words.length - 1 ? endMs : Math.min(endMs, w.endMs),
  }));
}

export function mergeTranscript({ jobId, source, draft, align, diarize }: MergeInput): Transcript {
  const segments = draft.segments.map((s) => {
    const aligned = align.segments.find((a) => a.id === s.id) ?? s;
    const voice = diarize?.segments.find((d) => d.id === s.id);
    return {
      id: s.id,
      startMs: aligned.startMs,
      endMs: aligned.endMs,
      speaker: voice?.speaker ?? 'unknown',
      pitchHz: voice?.pitchHz ?? null,
      rmsDb: s.rmsDb,
      text: s.text,
      words: fitWords(s.words, aligned.startMs, aligned.endMs),
    };
  });
  const speakerIds = [...new Set(segments.map((s) => s.speaker))];
  const speakers = speakerIds.map((id) => {
    const theirs = segments.filter((s) => s.speaker === id);
    return {
      id,
      pitchHz: diarize?.speakers.find((sp) => sp.id === id)?.pitchHz ?? null,
      segments: theirs.length,
      talkTimeMs: round1(theirs.reduce((ms, s) => ms + s.endMs - s.startMs, 0)),
    };
  });
  const speechMs = round1(segments.reduce((ms, s) => ms + s.endMs - s.startMs, 0));
  return {
    jobId,
    source,
    segments,
    speakers,
    stats: {
      segmentCount: segments.length,
      wordCount: segments.reduce((n, s) => n + s.words.length, 0),
      speechMs,
      silenceMs: round1(Math.max(0, source.durationMs - speechMs)),
      speechRatio: source.durationMs > 0 ? Math.round((speechMs / source.durationMs) * 1000) / 1000 : 0,
      diarization: diarize ? 'completed' : 'skipped',
    },
  };
}

export const merge: StageHandler<TranscribeJob, 'merge'> = async (ctx) => {
  const prepared = ctx.parents.prepare.output;
  const transcribed = ctx.parents.transcribe.output;
  const align = ctx.parents.align.output;
  const diarize = ctx.parents.diarize.output;
  const draft = JSON.parse(
    Buffer.from(await readAll(await ctx.artifacts.get(transcribed.draftUri))).toString('utf8'),
  );
  await checkpoint(ctx, {
    pct: 40,
    note: diarize ? 'merging with speakers' : 'diarize was skipped: speakers unknown',
  });
  const transcript = mergeTranscript({
    jobId: ctx.job.id,
    source: { uri: ctx.artifacts.inputUri, durationMs: prepared.durationMs, sampleRate: prepared.sampleRate },
    draft: draft as DraftTranscript,
    align,
    diarize,
  });
  const put = await ctx.artifacts.put('transcript.json', JSON.stringify(transcript, null, 2), {
    contentType: 'application/json',
  });
  await checkpoint(ctx, { pct: 100, note: `transcript.json ${put.size} bytes` });
  const output: MergeOutput = {
    transcriptUri: put.uri,
    size: put.size,
    segmentCount: transcript.stats.segmentCount,
    wordCount: transcript.stats.wordCount,
    speakers: transcript.speakers.map((s) => s.id),
    diarization: transcript.stats.diarization,
  };
  return output;
};
