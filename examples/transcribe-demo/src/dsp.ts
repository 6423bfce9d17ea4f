/**
 * Small signal-processing routines for mono float PCM: short-time energy, an energy voice
 * activity detector with hysteresis, zero crossings, autocorrelation pitch, and a
 * two-speaker split by pitch. Times in milliseconds, levels in dBFS.
 */

export interface Segment {
  startMs: number;
  endMs: number;
  /** RMS level of the segment, dBFS. */
  rmsDb: number;
}

export interface EnergyFrames {
  /** dBFS per frame; frame i covers [i·hopMs, i·hopMs + frameMs). */
  db: Float32Array;
  frameMs: number;
  hopMs: number;
}

export interface VadOptions {
  frameMs?: number;
  hopMs?: number;
  /** Speech starts when a frame rises this far above the noise floor. */
  enterDb?: number;
  /** ...and ends when frames fall back below this (lower: the hysteresis). */
  exitDb?: number;
  /** Gaps shorter than this are bridged. */
  minGapMs?: number;
  /** Segments shorter than this are dropped. */
  minSpeechMs?: number;
  /** Absolute level (dBFS) below which nothing is speech. */
  minLevelDb?: number;
}

const SILENCE_DB = -120;
export const toDb = (meanSquare: number): number => Math.max(SILENCE_DB, 10 * Math.log10(meanSquare + 1e-12));
const msToSample = (ms: number, sampleRate: number) => Math.round((ms / 1000) * sampleRate);

/** RMS level of samples [start, end), dBFS. */
export function rmsDb(samples: Float32Array, start = 0, end = samples.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
  return toDb(end > start ? sum / (end - start) : 0);
}

/** Short-time energy (dBFS) of overlapping frames. */
export function frameEnergy(
  samples: Float32Array,
  sampleRate: number,
  frameMs = 20,
  hopMs = 10,
): EnergyFrames {
  const frame = msToSample(frameMs, sampleRate);
  const hop = msToSample(hopMs, sampleRate);
  const count = samples.length < frame ? 0 : Math.floor((samples.length - frame) / hop) + 1;
  const db = new Float32Array(count);
  for (let f = 0; f < count; f++) db[f] = rmsDb(samples, f * hop, f * hop + frame);
  return { db, frameMs, hopMs };
}

/** The value below which `fraction` of the values fall. */
export function percentile(values: ArrayLike<number>, fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Array.from(values).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

/** Noise floor estimate: the 10th percentile of frame energies. */
export const noiseFloorDb = (energy: EnergyFrames): number => percentile(energy.db, 0.1);

/**
 * Voiced regions by short-time energy with hysteresis: a region opens when a frame rises
 * `enterDb` above the noise floor and closes when frames fall below `exitDb` above it.
 * Boundaries are frame centres, so they are accurate to about half a hop.
 */
export function detectSpeech(samples: Float32Array, sampleRate: number, options: VadOptions = {}): Segment[] {
  const { frameMs = 20, hopMs = 10, enterDb = 15, exitDb = 9, minGapMs = 150, minSpeechMs = 100 } = options;
  const { minLevelDb = -65 } = options;
  const energy = frameEnergy(samples, sampleRate, frameMs, hopMs);
  const floor = noiseFloorDb(energy);
  const peak = percentile(energy.db, 0.99);
  // Never treat near-digital silence as speech, however quiet the floor.
  const enter = Math.max(minLevelDb, Math.min(floor + enterDb, peak - 3));
  const exit = Math.min(floor + exitDb, enter - 1);
  const centre = (f: number) => f * hopMs + frameMs / 2;
  const raw: { startMs: number; endMs: number }[] = [];
  let open: number | null = null;
  for (let f = 0; f < energy.db.length; f++) {
    const level = energy.db[f]!;
    if (open === null && level >= enter) open = f;
    else if (open !== null && level < exit) {
      raw.push({ startMs: centre(open) - hopMs / 2, endMs: centre(f - 1) + hopMs / 2 });
      open = null;
    }
  }
  if (open !== null)
    raw.push({ startMs: centre(open) - hopMs / 2, endMs: centre(energy.db.length - 1) + hopMs / 2 });
  const merged: { startMs: number; endMs: number }[] = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && r.startMs - last.endMs < minGapMs) last.endMs = r.endMs;
    else merged.push({ ...r });
  }
  return merged
    .filter((r) => r.endMs - r.startMs >= minSpeechMs)
    .map((r) => ({
      ...r,
      rmsDb: round1(rmsDb(samples, msToSample(r.startMs, sampleRate), msToSample(r.endMs, sampleRate))),
    }));
}

const frameRange = (energy: EnergyFrames, segment: { startMs: number; endMs: number }) => ({
  first: Math.max(0, Math.ceil((segment.startMs - energy.frameMs / 2) / energy.hopMs)),
  last: Math.min(energy.db.length - 1, Math.floor((segment.endMs - energy.frameMs / 2) / energy.hopMs)),
});

/** Frames of local energy maxima in a segment that stand `minProminenceDb` above the dips beside them. */
export function energyPeaks(energy: EnergyFrames, segment: Segment, minProminenceDb = 3): number[] {
  const { first, last } = frameRange(energy, segment);
  const peaks: number[] = [];
  let dip = Number.POSITIVE_INFINITY;
  let top = -1;
  for (let f = first; f <= last; f++) {
    const v = energy.db[f]!;
    if (top < 0) {
      dip = Math.min(dip, v);
      if (v - dip >= minProminenceDb) top = f;
    } else if (v > energy.db[top]!) top = f;
    else if (energy.db[top]! - v >= minProminenceDb) {
      peaks.push(top);
      top = -1;
      dip = v;
    }
  }
  if (top >= 0) peaks.push(top);
  return peaks;
}

/**
 * Splits a segment into syllable-like spans: one per energy peak, cut at the quietest frame
 * between neighbouring peaks. A segment without clear peaks is one span.
 */
export function syllableSpans(energy: EnergyFrames, segment: Segment): { startMs: number; endMs: number }[] {
  const peaks = energyPeaks(energy, segment);
  const cuts: number[] = [];
  for (let p = 1; p < peaks.length; p++) {
    let quietest = peaks[p - 1]!;
    for (let f = peaks[p - 1]!; f <= peaks[p]!; f++) if (energy.db[f]! < energy.db[quietest]!) quietest = f;
    cuts.push(quietest * energy.hopMs + energy.frameMs / 2);
  }
  const edges = [segment.startMs, ...cuts, segment.endMs];
  return edges.slice(1).map((endMs, i) => ({ startMs: edges[i]!, endMs }));
}

/** Zero crossings per second over [start, end). */
export function zeroCrossingRate(
  samples: Float32Array,
  sampleRate: number,
  start = 0,
  end = samples.length,
): number {
  let crossings = 0;
  for (let i = start + 1; i < end; i++) if (samples[i - 1]! < 0 !== samples[i]! < 0) crossings++;
  return end - start > 1 ? (crossings * sampleRate) / (end - start - 1) : 0;
}

/** The sample index of the zero crossing nearest `index` within `radius` samples, or `index`. */
export function nearestZeroCrossing(samples: Float32Array, index: number, radius: number): number {
  for (let d = 0; d <= radius; d++) {
    for (const i of [index - d, index + d]) {
      if (i > 0 && i < samples.length && samples[i - 1]! < 0 !== samples[i]! < 0) return i;
    }
  }
  return index;
}

/**
 * Fundamental frequency of one frame by normalised autocorrelation: the first lag whose
 * correlation is within 10% of the best in [minHz, maxHz]. Null when the frame is not
 * periodic enough to be voiced.
 */
export function framePitch(
  samples: Float32Array,
  sampleRate: number,
  start: number,
  length: number,
  { minHz = 60, maxHz = 400, voicing = 0.5 } = {},
): number | null {
  const minLag = Math.floor(sampleRate / maxHz);
  const maxLag = Math.ceil(sampleRate / minHz);
  if (start < 0 || start + length + maxLag > samples.length) return null;
  const corr = new Float32Array(maxLag + 1);
  let energy0 = 0;
  for (let i = 0; i < length; i++) energy0 += samples[start + i]! ** 2;
  if (energy0 === 0) return null;
  let best = 0;
  // Energy of the lagged window, slid along instead of recomputed per lag.
  let energyLag = 0;
  for (let i = 0; i < length; i++) energyLag += samples[start + minLag + i]! ** 2;
  for (let lag = minLag; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += samples[start + i]! * samples[start + i + lag]!;
    corr[lag] = sum / Math.sqrt(energy0 * energyLag + 1e-12);
    best = Math.max(best, corr[lag]!);
    energyLag += samples[start + lag + length]! ** 2 - samples[start + lag]! ** 2;
  }
  if (best < voicing) return null;
  for (let lag = minLag + 1; lag < maxLag; lag++) {
    const c = corr[lag]!;
    if (c >= 0.9 * best && c >= corr[lag - 1]! && c >= corr[lag + 1]!) return sampleRate / lag;
  }
  return null;
}

export interface SegmentVoice {
  /** Median pitch over the voiced frames, or null when none was voiced. */
  pitchHz: number | null;
  voicedFrames: number;
  zcr: number;
}

/** Median pitch (40 ms frames, 20 ms hop) and zero-crossing rate of a segment. */
export function segmentVoice(samples: Float32Array, sampleRate: number, segment: Segment): SegmentVoice {
  const start = msToSample(segment.startMs, sampleRate);
  const end = Math.min(samples.length, msToSample(segment.endMs, sampleRate));
  const frame = msToSample(40, sampleRate);
  const hop = msToSample(20, sampleRate);
  const pitches: number[] = [];
  for (let at = start; at + frame <= end; at += hop) {
    const f0 = framePitch(samples, sampleRate, at, frame);
    if (f0 !== null) pitches.push(f0);
  }
  return {
    pitchHz: pitches.length ? round1(percentile(pitches, 0.5)) : null,
    voicedFrames: pitches.length,
    zcr: Math.round(zeroCrossingRate(samples, sampleRate, start, end)),
  };
}

/**
 * Splits values (pitches) into at most two groups by 2-means on their logarithm. Returns a
 * group index per value (0 = lower pitch), or all zeros when the two centres are closer than
 * `minRatio` (one speaker). Null values get -1.
 */
export function twoWaySplit(values: (number | null)[], minRatio = 1.25): number[] {
  const logs = values.filter((v): v is number => v !== null && v > 0).map(Math.log);
  if (logs.length === 0) return values.map(() => -1);
  let lo = Math.min(...logs);
  let hi = Math.max(...logs);
  for (let i = 0; i < 20; i++) {
    const near = (x: number) => (Math.abs(x - lo) <= Math.abs(x - hi) ? 0 : 1);
    const groups = [logs.filter((x) => near(x) === 0), logs.filter((x) => near(x) === 1)];
    const mean = (g: number[], fallback: number) =>
      g.length ? g.reduce((a, b) => a + b, 0) / g.length : fallback;
    [lo, hi] = [mean(groups[0]!, lo), mean(groups[1]!, hi)];
  }
  const split = hi - lo >= Math.log(minRatio);
  return values.map((v) => {
    if (v === null || v <= 0) return -1;
    return split && Math.abs(Math.log(v) - hi) < Math.abs(Math.log(v) - lo) ? 1 : 0;
  });
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
