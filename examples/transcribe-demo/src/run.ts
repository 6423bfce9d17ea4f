/**
 * The demo as a function: build an engine on the in-memory adapters, start one worker per
 * queue, submit a few jobs with generated audio, follow their events, then collect each
 * job's result and artifacts and close the engine.
 */
import { memoryAdapters } from '@dalston/adapter-memory';
import {
  type ArtifactInfo,
  createDalston,
  type Dalston,
  type DalstonError,
  type DalstonEvent,
} from '@dalston/core';
// The demo lists what a job left in the artifact store, straight from the port: the
// adapter-author entry has the port type and the key layout.
import { type ArtifactStore, jobPrefix } from '@dalston/core/adapter';
import type { Transcript } from './handlers/merge.js';
import { jobs as jobTypes, QUEUES } from './pipeline.js';
import { bytes, formatEvent, formatResult, type JobResult, seconds } from './report.js';
import { generateSpeechWav, seededRandom, type Utterance } from './wav.js';
import { handlersByQueue } from './workers.js';

export interface DemoOptions {
  /** How many jobs to submit. Default 4. */
  jobs?: number;
  /** Seed of the first job's audio (the others use the next ones). Default: random. */
  seed?: number;
  /** Artificial delay per processing step, ms, so progress is visible. Default 40. */
  paceMs?: number;
  /** Attempts per worker at once. Default 2. */
  concurrency?: number;
  /**
   * Which jobs' diarize stage fails its first attempt (by job index, 0-based), or
   * 'random' (about one job in three, at least one). Default 'random'.
   */
  flakyDiarize?: number[] | 'random';
  /** Jobs (0-based) whose diarize fails every attempt: the optional stage is skipped, the job still completes. */
  brokenDiarize?: number[];
  /** Also submit a job whose input is not a WAV file (it must fail, without retries). */
  badInput?: boolean;
  /** No output at all. */
  quiet?: boolean;
  /** Where lines go. Default console.log. */
  write?: (line: string) => void;
  /** Give up waiting for jobs after this long. Default 60 000 ms. */
  timeoutMs?: number;
}

export interface DemoResult {
  /** True when every job ended as expected (completed, and the bad-input job failed). */
  ok: boolean;
  results: (JobResult & { expectFailure: boolean })[];
}

interface Submitted {
  index: number;
  seed: number;
  jobId: string;
  truth: Utterance[];
  expectFailure: boolean;
  events: DalstonEvent[];
}

type DemoEngine = Dalston<typeof jobTypes>;

const DIARIZE_NOTE = ['', ', diarize will fail once', ', diarize is broken (will be skipped)'];

type ResultLike<T> = { match<A, B = A>(ok: (t: T) => A, err: (e: DalstonError) => B): Promise<A | B> };
const unwrap = <T>(result: ResultLike<T>): Promise<T> =>
  result.match(
    (v) => v,
    (e) => {
      throw e;
    },
  );

function pickFlaky(options: DemoOptions, count: number, rand: () => number): Set<number> {
  if (Array.isArray(options.flakyDiarize)) return new Set(options.flakyDiarize);
  const chosen = new Set([...Array(count).keys()].filter(() => rand() < 1 / 3));
  if (chosen.size === 0 && count > 0) chosen.add(Math.floor(rand() * count));
  return chosen;
}

async function listArtifacts(store: ArtifactStore, prefix: string): Promise<ArtifactInfo[]> {
  const out: ArtifactInfo[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.list(prefix, { limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

async function readTranscript(store: ArtifactStore, artifacts: ArtifactInfo[]): Promise<Transcript | null> {
  const found = artifacts.find((a) => a.key.endsWith('/tasks/merge/transcript.json'));
  if (!found) return null;
  const { body } = await store.get(found.key);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Transcript;
}

/** Follows one job's events until its terminal event, printing a line for each. */
async function follow(
  engine: DemoEngine,
  tenantId: string,
  s: Submitted,
  print: (e: DalstonEvent, s: Submitted) => void,
) {
  for await (const event of engine.jobs.events(tenantId, s.jobId)) {
    s.events.push(event);
    print(event, s);
  }
}

interface JobPlan {
  index: number;
  seed: number;
  bad: boolean;
  paceMs: number;
  diarizeFailures: number;
}

/** Generates the job's audio and submits it; the WAV goes to the artifact store with the job. */
async function submitJob(engine: DemoEngine, tenantId: string, plan: JobPlan, write: (line: string) => void) {
  const gen = generateSpeechWav({ seed: plan.seed });
  const body = plan.bad ? new TextEncoder().encode('ID3\u0003 this is an mp3, not a wav') : gen.wav;
  const { seed, paceMs, diarizeFailures } = plan;
  const job = await unwrap(
    engine.jobs.submit({
      type: 'transcribe',
      tenantId,
      parameters: { seed, paceMs, diarizeFailures },
      input: { name: 'audio.wav', body, contentType: 'audio/wav' },
    }),
  );
  const note = plan.bad
    ? 'not a WAV file (expected to fail)'
    : `${seconds(gen.durationMs)}, ${gen.utterances.length} utterances`;
  const diarize = DIARIZE_NOTE[Math.min(diarizeFailures, 2)];
  write(`  job ${plan.index}: ${job.id}  seed ${seed}  audio.wav ${bytes(body.length)}, ${note}${diarize}`);
  const submitted: Submitted = {
    index: plan.index,
    seed,
    jobId: job.id,
    truth: plan.bad ? [] : gen.utterances,
    expectFailure: plan.bad,
    events: [],
  };
  return submitted;
}

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const { jobs = 4, paceMs = 40, concurrency = 2, quiet = false, timeoutMs = 60_000 } = options;
  const write = quiet ? () => {} : (options.write ?? ((line: string) => console.log(line)));
  const baseSeed = options.seed ?? 1 + Math.floor(Math.random() * 9000);
  const flaky = pickFlaky(options, jobs, seededRandom(baseSeed ^ 0x5eed));

  const adapters = memoryAdapters();
  const engine = createDalston({
    adapters,
    jobs: jobTypes,
    // The demo prints every segment's progress; a production host keeps the default rate
    // (at most one task.progress event a second per attempt, the latest value wins).
    config: { queues: Object.values(QUEUES), progressIntervalMs: 0 },
  });
  try {
    const tenant = await unwrap(engine.tenants.create({ name: 'transcribe-demo' }));
    for (const queue of Object.values(QUEUES)) {
      engine.createWorker({ handlers: { transcribe: handlersByQueue[queue] }, concurrency });
    }
    write(
      `Dalston transcribe demo: in-memory engine, ${jobs} job(s) from seed ${baseSeed}, ` +
        `workers ${Object.values(QUEUES)
          .map((q) => `${q}×${concurrency}`)
          .join(' ')}`,
    );
    const startedAt = adapters.clock.now();
    const print = (e: DalstonEvent, s: Submitted) => write(formatEvent(e, `job ${s.index}`, startedAt));
    const inputs = [...Array(jobs).keys()].map((i) => ({ seed: baseSeed + i, bad: false }));
    if (options.badInput) inputs.push({ seed: baseSeed + jobs, bad: true });
    const submitted: Submitted[] = [];
    const following: Promise<void>[] = [];
    for (const [i, input] of inputs.entries()) {
      const diarizeFailures = options.brokenDiarize?.includes(i) ? 99 : flaky.has(i) ? 1 : 0;
      const s = await submitJob(
        engine,
        tenant.id,
        { index: i + 1, ...input, paceMs, diarizeFailures },
        write,
      );
      submitted.push(s);
      // Follow each job from its submission on, so every event is printed as it happens.
      following.push(follow(engine, tenant.id, s, print));
    }
    await withTimeout(Promise.all(following), timeoutMs, 'the jobs');

    const results: DemoResult['results'] = [];
    for (const s of submitted) {
      const job = await unwrap(engine.jobs.get(tenant.id, s.jobId));
      const artifacts = await listArtifacts(adapters.artifactStore, jobPrefix(tenant.id, s.jobId));
      const transcript = await readTranscript(adapters.artifactStore, artifacts);
      results.push({ ...s, job, artifacts, transcript });
    }
    write('');
    write('Results');
    for (const r of results) for (const line of formatResult(r)) write(line);
    const ok = results.every((r) =>
      r.expectFailure ? r.job.status === 'failed' : r.job.status === 'completed',
    );
    write('');
    write(ok ? 'All jobs ended as expected.' : 'Some jobs did not end as expected.');
    return { ok, results };
  } finally {
    await engine.close({ deadlineMs: 2000 });
  }
}
