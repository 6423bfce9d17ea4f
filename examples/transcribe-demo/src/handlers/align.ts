/**
 * `align`: refines each segment's boundaries on a 10 ms energy grid (the first and last
 * 10 ms frame above the speech-exit level within ±40 ms of the rough boundary), then snaps
 * them to the nearest zero crossing (±5 ms) so a cut never clicks.
 */
import type { StageHandler } from '@dalston/core';
import { frameEnergy, nearestZeroCrossing, noiseFloorDb, round1 } from '../dsp.js';
import type { TranscribeJob } from '../pipeline.js';
import { type AlignOutput, checkpoint, loadPrepared, type SpeechSegment } from './shared.js';

const GRID_MS = 10;
const SEARCH_MS = 40;
const SNAP_MS = 5;

/** Refined boundaries for `segments` (ids kept), in order. */
export function alignSegments(
  samples: Float32Array,
  sampleRate: number,
  segments: SpeechSegment[],
): AlignOutput {
  const grid = frameEnergy(samples, sampleRate, GRID_MS, GRID_MS);
  const level = noiseFloorDb(grid) + 9;
  const toSample = (ms: number) => Math.round((ms / 1000) * sampleRate);
  const toMs = (sample: number) => round1((sample / sampleRate) * 1000);
  const loud = (f: number) => f >= 0 && f < grid.db.length && grid.db[f]! >= level;
  return {
    segments: segments.map((s) => {
      const from = Math.floor((s.startMs - SEARCH_MS) / GRID_MS);
      const to = Math.ceil((s.startMs + SEARCH_MS) / GRID_MS);
      let first = Math.max(0, Math.round(s.startMs / GRID_MS));
      for (let f = from; f <= to; f++)
        if (loud(f)) {
          first = f;
          break;
        }
      const endFrom = Math.ceil((s.endMs + SEARCH_MS) / GRID_MS);
      const endTo = Math.floor((s.endMs - SEARCH_MS) / GRID_MS);
      let last = Math.round(s.endMs / GRID_MS) - 1;
      for (let f = endFrom; f >= endTo; f--)
        if (loud(f)) {
          last = f;
          break;
        }
      const snap = (ms: number) => toMs(nearestZeroCrossing(samples, toSample(ms), toSample(SNAP_MS)));
      const startMs = snap(first * GRID_MS);
      const endMs = Math.max(startMs + GRID_MS, snap((last + 1) * GRID_MS));
      return {
        id: s.id,
        startMs,
        endMs,
        startShiftMs: round1(startMs - s.startMs),
        endShiftMs: round1(endMs - s.endMs),
      };
    }),
  };
}

export const align: StageHandler<TranscribeJob, 'align'> = async (ctx) => {
  const prepared = ctx.parents.prepare.output;
  const { segments } = ctx.parents.transcribe.output;
  const samples = await loadPrepared(ctx, prepared);
  await checkpoint(ctx, { pct: 30, note: `aligning ${segments.length} segments` });
  const aligned = alignSegments(samples, prepared.sampleRate, segments);
  const moved = aligned.segments.map((s) => Math.abs(s.startShiftMs) + Math.abs(s.endShiftMs));
  await checkpoint(ctx, {
    pct: 100,
    note: `boundaries moved ${Math.round(moved.reduce((a, b) => a + b, 0) / Math.max(1, 2 * moved.length))} ms on average`,
  });
  return aligned;
};
