/**
 * `prepare`: validate and decode the uploaded WAV, mix down to mono, remove DC, peak-normalise
 * to -1 dBFS, and write the result as `prepared.pcm` (float32 little-endian) for the stages
 * after it. A file that is not usable PCM WAV fails the task for good (a retry cannot help).
 */
import { type StageHandler, TaskFailure } from '@dalston/core';
import { round1 } from '../dsp.js';
import type { TranscribeJob } from '../pipeline.js';
import { decodeWav, WavFormatError } from '../wav.js';
import { checkpoint, type PrepareOutput, pcmToBytes, readAll, seconds } from './shared.js';

const TARGET_PEAK = 10 ** (-1 / 20);

export interface PreparedAudio {
  samples: Float32Array;
  sampleRate: number;
  durationMs: number;
  sourceChannels: number;
  sourceBitsPerSample: number;
  gainDb: number;
}

const invalid = (message: string, cause?: unknown) =>
  new TaskFailure(`invalid audio: ${message}`, { retryable: false, code: 'INVALID_AUDIO', cause });

/** Decodes and normalises a WAV file. Throws a non-retryable TaskFailure for unusable input. */
export function prepareAudio(bytes: Uint8Array): PreparedAudio {
  let decoded: ReturnType<typeof decodeWav>;
  try {
    decoded = decodeWav(bytes);
  } catch (e) {
    if (e instanceof WavFormatError) throw invalid(e.message, e);
    throw e;
  }
  const { channels, sampleRate, info } = decoded;
  const samples = new Float32Array(info.frameCount);
  for (const channel of channels)
    for (let i = 0; i < samples.length; i++) samples[i]! += channel[i]! / channels.length;
  let mean = 0;
  for (const s of samples) mean += s / samples.length;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    samples[i]! -= mean;
    peak = Math.max(peak, Math.abs(samples[i]!));
  }
  if (peak < 1e-4) throw invalid('the recording is silent (peak below -80 dBFS)');
  const gain = TARGET_PEAK / peak;
  for (let i = 0; i < samples.length; i++) samples[i]! *= gain;
  return {
    samples,
    sampleRate,
    durationMs: Math.round(info.durationMs),
    sourceChannels: info.channelCount,
    sourceBitsPerSample: info.bitsPerSample,
    gainDb: round1(20 * Math.log10(gain)),
  };
}

export const prepare: StageHandler<TranscribeJob, 'prepare'> = async (ctx) => {
  const uri = ctx.artifacts.inputUri;
  if (!uri) throw new TaskFailure('the job has no input audio', { retryable: false, code: 'INVALID_AUDIO' });
  const bytes = await readAll(await ctx.artifacts.get(uri));
  await checkpoint(ctx, { pct: 20, note: `read ${bytes.length.toLocaleString('en-US')} bytes` });
  const audio = prepareAudio(bytes);
  await checkpoint(ctx, {
    pct: 60,
    note: `decoded ${seconds(audio.durationMs)} ${audio.sampleRate} Hz, ${audio.sourceChannels} ch, ${audio.sourceBitsPerSample}-bit; gain ${audio.gainDb} dB`,
  });
  const put = await ctx.artifacts.put('prepared.pcm', pcmToBytes(audio.samples), {
    contentType: 'application/octet-stream',
    metadata: { encoding: 'f32le', 'sample-rate': String(audio.sampleRate) },
  });
  await checkpoint(ctx, { pct: 100, note: `wrote prepared.pcm (${put.size.toLocaleString('en-US')} bytes)` });
  const output: PrepareOutput = {
    uri: put.uri,
    sampleRate: audio.sampleRate,
    durationMs: audio.durationMs,
    sourceChannels: audio.sourceChannels,
    sourceBitsPerSample: audio.sourceBitsPerSample,
    gainDb: audio.gainDb,
  };
  return output;
};
