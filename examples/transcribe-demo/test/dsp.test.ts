import { describe, expect, it } from 'vitest';
import {
  detectSpeech,
  frameEnergy,
  framePitch,
  nearestZeroCrossing,
  segmentVoice,
  syllableSpans,
  twoWaySplit,
  zeroCrossingRate,
} from '../src/dsp.js';
import { decodeWav, generateSpeechWav } from '../src/wav.js';

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const mono = (seed: number) => {
  const gen = generateSpeechWav({ seed });
  return { gen, samples: decodeWav(gen.wav).channels[0]! };
};

describe('energy VAD', () => {
  it.each(SEEDS)('finds every generated utterance within ±40 ms (seed %i)', (seed) => {
    const { gen, samples } = mono(seed);
    const segments = detectSpeech(samples, 16000);
    expect(segments).toHaveLength(gen.utterances.length);
    segments.forEach((s, i) => {
      const u = gen.utterances[i]!;
      expect(Math.abs(s.startMs - u.startMs), `start of ${i}`).toBeLessThanOrEqual(40);
      expect(Math.abs(s.endMs - u.endMs), `end of ${i}`).toBeLessThanOrEqual(40);
      expect(s.rmsDb).toBeLessThan(0);
      expect(s.rmsDb).toBeGreaterThan(-40);
    });
  });

  it('finds nothing in silence and one segment in a constant tone', () => {
    expect(detectSpeech(new Float32Array(16000), 16000)).toEqual([]);
    const tone = Float32Array.from({ length: 16000 }, (_, i) =>
      i > 4000 && i < 12000 ? 0.5 * Math.sin(i / 5) : 0,
    );
    const [only, ...rest] = detectSpeech(tone, 16000);
    expect(rest).toEqual([]);
    expect(Math.abs(only!.startMs - 250)).toBeLessThanOrEqual(10);
    expect(Math.abs(only!.endMs - 750)).toBeLessThanOrEqual(10);
  });

  it('splits utterances into roughly one span per generated syllable', () => {
    const { gen, samples } = mono(3);
    const energy = frameEnergy(samples, 16000);
    const segments = detectSpeech(samples, 16000);
    segments.forEach((s, i) => {
      const spans = syllableSpans(energy, s);
      expect(Math.abs(spans.length - gen.utterances[i]!.syllables)).toBeLessThanOrEqual(1);
      expect(spans[0]!.startMs).toBe(s.startMs);
      expect(spans.at(-1)!.endMs).toBe(s.endMs);
    });
  });
});

describe('pitch', () => {
  it('estimates the pitch of a harmonic tone', () => {
    const f0 = 150;
    const tone = Float32Array.from({ length: 4000 }, (_, i) => {
      const p = (2 * Math.PI * f0 * i) / 16000;
      return Math.sin(p) + 0.5 * Math.sin(2 * p) + 0.3 * Math.sin(3 * p);
    });
    expect(framePitch(tone, 16000, 0, 640)).toBeCloseTo(f0, -1);
    expect(framePitch(new Float32Array(4000), 16000, 0, 640)).toBeNull();
    expect(
      zeroCrossingRate(
        Float32Array.from({ length: 16000 }, (_, i) => Math.sin((2 * Math.PI * 100 * i) / 16000)),
        16000,
      ),
    ).toBeCloseTo(200, -1);
  });

  it.each(SEEDS)('separates the two generated speakers (seed %i)', (seed) => {
    const { gen, samples } = mono(seed);
    const segments = detectSpeech(samples, 16000);
    const voices = segments.map((s) => segmentVoice(samples, 16000, s));
    voices.forEach((v, i) => {
      expect(Math.abs(v.pitchHz! - gen.utterances[i]!.f0Hz) / gen.utterances[i]!.f0Hz).toBeLessThan(0.1);
    });
    const groups = twoWaySplit(voices.map((v) => v.pitchHz));
    const truth = gen.utterances.map((u) => (u.speaker === 'A' ? 0 : 1));
    expect(groups).toEqual(truth);
  });

  it('keeps one speaker when pitches are close', () => {
    expect(twoWaySplit([120, 125, 118, null])).toEqual([0, 0, 0, -1]);
    expect(twoWaySplit([120, 240, 118])).toEqual([0, 1, 0]);
  });

  it('snaps to the nearest zero crossing', () => {
    const s = Float32Array.from([1, 1, 1, -1, -1, -1, 1]);
    expect(nearestZeroCrossing(s, 1, 3)).toBe(3);
    expect(nearestZeroCrossing(s, 5, 3)).toBe(6);
    expect(nearestZeroCrossing(Float32Array.from([1, 1, 1]), 1, 3)).toBe(1);
  });
});
