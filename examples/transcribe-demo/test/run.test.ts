import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/main.js';

const TOLERANCE_MS = 40;

describe('the demo, end to end in memory', () => {
  it('completes every job with a transcript whose segments match the generated utterances', async () => {
    const lines: string[] = [];
    const { ok, results } = await runDemo({
      jobs: 2,
      seed: 101,
      paceMs: 0,
      flakyDiarize: [1],
      write: (l) => lines.push(l),
    });
    expect(ok).toBe(true);
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.job.status).toBe('completed');
      const t = r.transcript!;
      expect(t).not.toBeNull();
      expect(t.jobId).toBe(r.job.id);
      expect(t.segments).toHaveLength(r.truth.length);
      t.segments.forEach((s, i) => {
        expect(Math.abs(s.startMs - r.truth[i]!.startMs)).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(Math.abs(s.endMs - r.truth[i]!.endMs)).toBeLessThanOrEqual(TOLERANCE_MS);
      });
      const first = r.truth[0]!.speaker;
      expect(t.segments.map((s) => s.speaker)).toEqual(
        r.truth.map((u) => (u.speaker === first ? 'S1' : 'S2')),
      );
      const names = r.artifacts.map((a) => a.key.split('/').slice(4).join('/'));
      expect(names.sort()).toEqual(
        [
          'input/audio.wav',
          'tasks/merge/transcript.json',
          'tasks/prepare/prepared.pcm',
          'tasks/transcribe/draft.json',
        ].sort(),
      );
      const transcript = r.artifacts.find((a) => a.key.endsWith('transcript.json'))!;
      expect(transcript.uri).toMatch(/transcript\.json$/);
      expect(transcript.size).toBeGreaterThan(100);
    }
    // Job 2's diarize failed its first attempt and was retried.
    const diarizeStarts = (i: number) =>
      results[i]!.events.filter((e) => e.type === 'task.started' && e.payload.stage === 'diarize').length;
    expect(diarizeStarts(0)).toBe(1);
    expect(diarizeStarts(1)).toBe(2);
    expect(results[1]!.events.some((e) => e.type === 'task.retrying' && e.payload.stage === 'diarize')).toBe(
      true,
    );
    // Progress reached the terminal output, one line per event.
    expect(lines.some((l) => /job 1 {2}transcribe +\s*\d+% {2}segment 1\//.test(l))).toBe(true);
    expect(lines.some((l) => l.includes('job completed'))).toBe(true);
    expect(lines.at(-1)).toBe('All jobs ended as expected.');
  });

  it('skips a broken optional diarize (speakers unknown) and fails bad input without retrying', async () => {
    const { ok, results } = await runDemo({
      jobs: 1,
      seed: 202,
      paceMs: 0,
      flakyDiarize: [],
      brokenDiarize: [0],
      badInput: true,
      quiet: true,
    });
    expect(ok).toBe(true);
    const [skipped, bad] = results;
    expect(skipped!.job.status).toBe('completed');
    expect(skipped!.transcript!.stats.diarization).toBe('skipped');
    expect(new Set(skipped!.transcript!.segments.map((s) => s.speaker))).toEqual(new Set(['unknown']));
    expect(skipped!.events.some((e) => e.type === 'task.skipped' && e.payload.stage === 'diarize')).toBe(
      true,
    );

    expect(bad!.expectFailure).toBe(true);
    expect(bad!.job.status).toBe('failed');
    expect(bad!.job.error).toMatchObject({ stage: 'prepare' });
    expect(bad!.events.filter((e) => e.type === 'task.started')).toHaveLength(1);
    expect(bad!.transcript).toBeNull();
  });
});
