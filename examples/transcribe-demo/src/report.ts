/**
 * Terminal output: one plain line per job event while jobs run (no cursor tricks, so CI
 * logs stay readable), then a summary per job. Pure formatting; the caller writes lines.
 */
import type { ArtifactInfo, DalstonEvent, Job, JsonObject, JsonValue } from '@dalston/core';
import type { Transcript } from './handlers/merge.js';
import type { Utterance } from './wav.js';

export interface JobResult {
  /** 1-based position in the run. */
  index: number;
  seed: number;
  job: Job;
  events: DalstonEvent[];
  artifacts: ArtifactInfo[];
  transcript: Transcript | null;
  /** What the generator put in the audio. */
  truth: Utterance[];
}

const str = (v: JsonValue | undefined): string => (v === undefined || v === null ? '' : String(v));
const obj = (v: JsonValue | undefined): JsonObject =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : {};

export const seconds = (ms: number, digits = 2): string => `${(ms / 1000).toFixed(digits)}s`;

/** `m:ss.cc` for transcript times. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 10));
  const minutes = Math.floor(total / 6000);
  const rest = ((total % 6000) / 100).toFixed(2).padStart(5, '0');
  return `${minutes}:${rest}`;
}

export const bytes = (n: number): string => `${n.toLocaleString('en-US')} B`;

/** What happened, in words, for one event. */
export function describeEvent(event: DalstonEvent): string {
  const p = event.payload;
  switch (event.type) {
    case 'job.created':
      return `job created (${str(p.tasks)} tasks)`;
    case 'task.ready':
      return 'ready';
    case 'task.started':
      return `started (attempt ${str(p.attempt)})`;
    case 'task.progress': {
      const progress = obj(p.progress);
      return `${str(progress.pct).padStart(3)}%  ${str(progress.note)}`.trimEnd();
    }
    case 'task.completed':
      return 'completed';
    case 'task.failed':
      return `FAILED (${str(p.errorCode)})`;
    case 'task.retrying':
      return `retrying in ${str(p.delayMs)} ms: ${str(p.reason)}${p.errorCode ? ` (${str(p.errorCode)})` : ''}`;
    case 'job.failed':
      return `job FAILED${p.stage ? ` in ${str(p.stage)}` : ''}${p.errorCode ? ` (${str(p.errorCode)})` : ''}`;
    case 'task.skipped':
      return `skipped: optional stage gave up (${str(p.errorCode)})`;
    default: {
      const { status: _status, ...rest } = p;
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
      return `${event.type.replace('.', ' ')}${extra}`;
    }
  }
}

/** `+0.314s  job 2  transcribe  40%  segment 2/5 …` */
export function formatEvent(event: DalstonEvent, jobLabel: string, startedAt: number): string {
  const at = `+${seconds(event.at - startedAt, 3)}`.padStart(8);
  const stage = event.type.startsWith('task.') ? str(event.payload.stage) : '—';
  return `${at}  ${jobLabel}  ${stage.padEnd(10)}  ${describeEvent(event)}`;
}

/** Per stage: final status and attempts started, from the job's events. */
export function stageSummary(events: DalstonEvent[]): string {
  const stages = new Map<string, { status: string; attempts: number }>();
  for (const e of events) {
    if (!e.type.startsWith('task.')) continue;
    const stage = str(e.payload.stage);
    const s = stages.get(stage) ?? { status: 'pending', attempts: 0 };
    if (e.type === 'task.started') s.attempts++;
    else if (e.type !== 'task.progress') s.status = e.type.slice(5);
    stages.set(stage, s);
  }
  return [...stages]
    .map(([stage, s]) => `${stage} ${s.status}${s.attempts > 1 ? ` after ${s.attempts} attempts` : ''}`)
    .join(', ');
}

/** Where the audio is, what the generator put in it, in one line. */
export function describeTruth(truth: Utterance[]): string {
  return truth.map((u) => `${clock(u.startMs)}–${clock(u.endMs)} ${u.speaker}@${u.f0Hz}Hz`).join('  ');
}

const ORDER = [
  'input/',
  'tasks/prepare/',
  'tasks/transcribe/',
  'tasks/align/',
  'tasks/diarize/',
  'tasks/merge/',
];
const rank = (a: ArtifactInfo) => {
  const i = ORDER.findIndex((part) => a.key.includes(`/${part}`));
  return i < 0 ? ORDER.length : i;
};
/** Input first, then task artifacts in pipeline order. */
const byPipelineOrder = (a: ArtifactInfo, b: ArtifactInfo) => rank(a) - rank(b) || a.key.localeCompare(b.key);

/** The summary block of one job. */
export function formatResult(r: JobResult, transcriptLines = 3): string[] {
  const { job, transcript: t } = r;
  const took = job.finishedAt && job.startedAt ? ` in ${seconds(job.finishedAt - job.createdAt)}` : '';
  const lines = [`job ${r.index} (seed ${r.seed}) ${job.id}: ${job.status.toUpperCase()}${took}`];
  if (job.error)
    lines.push(
      `  error: ${job.error.code}${job.error.stage ? ` in ${job.error.stage}` : ''}: ${job.error.message}`,
    );
  lines.push(`  stages: ${stageSummary(r.events)}`);
  if (r.truth.length) lines.push(`  generated: ${describeTruth(r.truth)}`);
  if (t) {
    const speakers = t.speakers
      .map((s) => `${s.id}${s.pitchHz ? ` ~${Math.round(s.pitchHz)} Hz` : ''}`)
      .join(', ');
    lines.push(
      `  found: ${t.stats.segmentCount} segments, ${t.stats.wordCount} words, speakers ${speakers}` +
        ` (diarization ${t.stats.diarization}); speech ${seconds(t.stats.speechMs)} of ${seconds(t.source.durationMs)}`,
    );
    for (const s of t.segments.slice(0, transcriptLines)) {
      lines.push(
        `    ${clock(s.startMs)}–${clock(s.endMs)}  ${s.speaker.padEnd(7)}  ${s.text}  (${s.words.length} words)`,
      );
    }
    if (t.segments.length > transcriptLines) lines.push(`    … ${t.segments.length - transcriptLines} more`);
  }
  lines.push('  artifacts:');
  for (const a of [...r.artifacts].sort(byPipelineOrder)) lines.push(`    ${a.uri}  ${bytes(a.size)}`);
  return lines;
}
