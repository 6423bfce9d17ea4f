import { describe, expect, it } from 'vitest';
import { alignSegments } from '../src/handlers/align.js';
import { diarizeSegments } from '../src/handlers/diarize.js';
import { mergeTranscript } from '../src/handlers/merge.js';
import { prepareAudio } from '../src/handlers/prepare.js';
import { bytesToPcm, pcmToBytes } from '../src/handlers/shared.js';
import { transcribeAudio } from '../src/handlers/transcribe.js';
import { encodeWav16, generateSpeechWav } from '../src/wav.js';

const analyse = (seed: number) => {
  const gen = generateSpeechWav({ seed });
  const audio = prepareAudio(gen.wav);
  const draft = transcribeAudio(audio.samples, audio.sampleRate);
  const segments = draft.segments.map(({ id, startMs, endMs, rmsDb }) => ({ id, startMs, endMs, rmsDb }));
  return { gen, audio, draft, segments };
};

describe('prepare', () => {
  it('normalises to -1 dBFS peak and keeps the duration', () => {
    const { gen, audio } = analyse(5);
    const peak = audio.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(20 * Math.log10(peak)).toBeCloseTo(-1, 1);
    expect(audio.durationMs).toBe(Math.round(gen.durationMs));
    expect(audio.gainDb).toBeGreaterThan(0);
    expect(
      Buffer.from(bytesToPcm(pcmToBytes(audio.samples)).buffer).equals(Buffer.from(audio.samples.buffer)),
    ).toBe(true);
  });

  it.each([
    [
      'not a WAV file',
      new TextEncoder().encode('ID3 not a wav file at all, sorry'),
      /invalid audio: missing RIFF/,
    ],
    ['silence', encodeWav16(new Float32Array(16000), 16000), /invalid audio: the recording is silent/],
  ])('fails for good on %s', (_name, bytes, message) => {
    let thrown: unknown;
    try {
      prepareAudio(bytes);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ name: 'TaskFailure', retryable: false, code: 'INVALID_AUDIO' });
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('transcribe, align, diarize, merge', () => {
  it.each([11, 12, 13, 14])('recovers the generated utterances and speakers (seed %i)', (seed) => {
    const { gen, audio, draft, segments } = analyse(seed);
    expect(draft.segments).toHaveLength(gen.utterances.length);
    expect(draft.segments[0]!.text).toMatch(/^\[speech \d+\.\d\ds\]$/);
    const aligned = alignSegments(audio.samples, audio.sampleRate, segments);
    aligned.segments.forEach((a, i) => {
      expect(Math.abs(a.startMs - gen.utterances[i]!.startMs)).toBeLessThanOrEqual(25);
      expect(Math.abs(a.endMs - gen.utterances[i]!.endMs)).toBeLessThanOrEqual(25);
    });
    const diarized = diarizeSegments(audio.samples, audio.sampleRate, segments);
    expect(diarized.speakers.map((s) => s.id)).toEqual(['S1', 'S2']);
    const first = gen.utterances[0]!.speaker;
    diarized.segments.forEach((d, i) => {
      expect(d.speaker).toBe(gen.utterances[i]!.speaker === first ? 'S1' : 'S2');
    });

    const source = { uri: null, durationMs: audio.durationMs, sampleRate: audio.sampleRate };
    const t = mergeTranscript({ jobId: 'job_1', source, draft, align: aligned, diarize: diarized });
    expect(t.stats.segmentCount).toBe(gen.utterances.length);
    expect(t.stats.diarization).toBe('completed');
    expect(t.speakers.reduce((n, s) => n + s.segments, 0)).toBe(gen.utterances.length);
    for (const s of t.segments) {
      expect(s.words[0]!.startMs).toBe(s.startMs);
      expect(s.words.at(-1)!.endMs).toBe(s.endMs);
    }
  });

  it('merges without diarization: every speaker is "unknown"', () => {
    const { audio, draft, segments } = analyse(21);
    const aligned = alignSegments(audio.samples, audio.sampleRate, segments);
    const source = { uri: null, durationMs: audio.durationMs, sampleRate: audio.sampleRate };
    const t = mergeTranscript({ jobId: 'job_2', source, draft, align: aligned, diarize: null });
    expect(t.stats.diarization).toBe('skipped');
    expect(new Set(t.segments.map((s) => s.speaker))).toEqual(new Set(['unknown']));
    expect(t.speakers).toEqual([
      expect.objectContaining({ id: 'unknown', segments: segments.length, pitchHz: null }),
    ]);
    expect(t.stats.speechMs + t.stats.silenceMs).toBeCloseTo(audio.durationMs, 0);
  });
});
