/**
 * WAV (RIFF/WAVE, PCM) encoding and parsing. Parsing is strict: anything the demo cannot
 * decode is a `WavFormatError` naming what is wrong, never a garbage signal.
 */

/** A decoded PCM signal: one Float32Array per channel, samples in [-1, 1]. */
export interface PcmAudio {
  sampleRate: number;
  channels: Float32Array[];
}

export interface WavInfo {
  sampleRate: number;
  channelCount: number;
  bitsPerSample: number;
  /** Frames (samples per channel). */
  frameCount: number;
  durationMs: number;
}

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

const SUPPORTED_BITS = new Set([8, 16, 24, 32]);
const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

const fourCC = (view: DataView, at: number): string =>
  String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));

/** Encodes mono float samples as 16-bit PCM WAV (clipped to [-1, 1]). */
export function encodeWav16(samples: Float32Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, WAVE_FORMAT_PCM, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    view.setInt16(44 + i * 2, Math.round(s < 0 ? s * 0x8000 : s * 0x7fff), true);
  }
  return out;
}

interface FmtChunk {
  format: number;
  channelCount: number;
  sampleRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

function readFmt(view: DataView, at: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, expected at least 16`);
  let format = view.getUint16(at, true);
  const fmt = {
    channelCount: view.getUint16(at + 2, true),
    sampleRate: view.getUint32(at + 4, true),
    blockAlign: view.getUint16(at + 12, true),
    bitsPerSample: view.getUint16(at + 14, true),
  };
  // WAVE_FORMAT_EXTENSIBLE carries the real format in the first two bytes of its sub-format GUID.
  if (format === WAVE_FORMAT_EXTENSIBLE && size >= 40) format = view.getUint16(at + 24, true);
  if (format !== WAVE_FORMAT_PCM) {
    throw new WavFormatError(`audio format ${format} is not supported (only integer PCM, format 1)`);
  }
  if (fmt.channelCount < 1 || fmt.channelCount > 8) {
    throw new WavFormatError(`channel count ${fmt.channelCount} is out of range (1..8)`);
  }
  if (fmt.sampleRate < 8000 || fmt.sampleRate > 192_000) {
    throw new WavFormatError(`sample rate ${fmt.sampleRate} Hz is out of range (8000..192000)`);
  }
  if (!SUPPORTED_BITS.has(fmt.bitsPerSample)) {
    throw new WavFormatError(`bit depth ${fmt.bitsPerSample} is not supported (8, 16, 24 or 32)`);
  }
  if (fmt.blockAlign !== (fmt.channelCount * fmt.bitsPerSample) / 8) {
    throw new WavFormatError(
      `block align ${fmt.blockAlign} does not match ${fmt.channelCount} channel(s) of ${fmt.bitsPerSample} bits`,
    );
  }
  return { format, ...fmt };
}

/** Locates fmt and data chunks. Throws WavFormatError on any structural problem. */
function locateChunks(bytes: Uint8Array): { fmt: FmtChunk; dataAt: number; dataSize: number } {
  if (bytes.length < 12)
    throw new WavFormatError(`file is ${bytes.length} bytes, too short for a RIFF header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fourCC(view, 0) !== 'RIFF') throw new WavFormatError('missing RIFF signature (not a WAV file)');
  if (fourCC(view, 8) !== 'WAVE')
    throw new WavFormatError(`RIFF form type is "${fourCC(view, 8)}", not WAVE`);
  let fmt: FmtChunk | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourCC(view, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > bytes.length) throw new WavFormatError('fmt chunk runs past the end of the file');
      fmt = readFmt(view, body, size);
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('data chunk comes before the fmt chunk');
      const present = bytes.length - body;
      // 0xffffffff is what streaming writers leave when they never patch the size: take what is there.
      if (size !== 0xffffffff && size > present) {
        throw new WavFormatError(
          `data chunk declares ${size} bytes but only ${present} are present (truncated)`,
        );
      }
      const available = Math.min(size, present);
      if (available % fmt.blockAlign !== 0 && size !== 0xffffffff) {
        throw new WavFormatError(
          `data chunk size ${size} is not a multiple of the block align ${fmt.blockAlign}`,
        );
      }
      return { fmt, dataAt: body, dataSize: available - (available % fmt.blockAlign) };
    }
    at = body + size + (size % 2);
  }
  throw new WavFormatError(fmt ? 'no data chunk' : 'no fmt chunk');
}

/** Reads the header only. */
export function parseWavInfo(bytes: Uint8Array): WavInfo {
  const { fmt, dataSize } = locateChunks(bytes);
  const frameCount = dataSize / fmt.blockAlign;
  return {
    sampleRate: fmt.sampleRate,
    channelCount: fmt.channelCount,
    bitsPerSample: fmt.bitsPerSample,
    frameCount,
    durationMs: (frameCount / fmt.sampleRate) * 1000,
  };
}

function sampleReader(view: DataView, bits: number): (at: number) => number {
  switch (bits) {
    case 8:
      return (at) => (view.getUint8(at) - 128) / 128;
    case 16:
      return (at) => view.getInt16(at, true) / 0x8000;
    case 24:
      return (at) => (((view.getUint8(at + 2) << 24) | (view.getUint16(at, true) << 8)) >> 8) / 0x800000;
    default:
      return (at) => view.getInt32(at, true) / 0x80000000;
  }
}

/** Parses and decodes a PCM WAV file. */
export function decodeWav(bytes: Uint8Array): PcmAudio & { info: WavInfo } {
  const { fmt, dataAt, dataSize } = locateChunks(bytes);
  if (dataSize === 0) throw new WavFormatError('data chunk holds no samples');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = sampleReader(view, fmt.bitsPerSample);
  const bytesPerSample = fmt.bitsPerSample / 8;
  const frameCount = dataSize / fmt.blockAlign;
  const channels = Array.from({ length: fmt.channelCount }, () => new Float32Array(frameCount));
  for (let f = 0; f < frameCount; f++) {
    const frameAt = dataAt + f * fmt.blockAlign;
    for (let c = 0; c < fmt.channelCount; c++) channels[c]![f] = read(frameAt + c * bytesPerSample);
  }
  return {
    sampleRate: fmt.sampleRate,
    channels,
    info: {
      sampleRate: fmt.sampleRate,
      channelCount: fmt.channelCount,
      bitsPerSample: fmt.bitsPerSample,
      frameCount,
      durationMs: (frameCount / fmt.sampleRate) * 1000,
    },
  };
}

/** One generated utterance: the ground truth the tests check the pipeline against. */
export interface Utterance {
  startMs: number;
  endMs: number;
  speaker: 'A' | 'B';
  /** Mean fundamental frequency of the voice. */
  f0Hz: number;
  syllables: number;
}

export interface GeneratedSpeech {
  wav: Uint8Array;
  sampleRate: number;
  durationMs: number;
  utterances: Utterance[];
}

/** mulberry32: a small deterministic PRNG, so a seed always gives the same audio. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function planUtterances(rand: () => number): { utterances: Utterance[]; durationMs: number } {
  const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
  const f0 = { A: between(105, 135), B: between(195, 240) };
  const count = 4 + Math.floor(rand() * 2);
  const utterances: Utterance[] = [];
  let t = between(400, 700);
  let speaker: 'A' | 'B' = 'A';
  for (let i = 0; i < count; i++) {
    if (i > 0 && rand() < 0.6) speaker = speaker === 'A' ? 'B' : 'A';
    if (i === count - 1 && utterances.every((u) => u.speaker === speaker))
      speaker = speaker === 'A' ? 'B' : 'A';
    const length = between(600, 1200);
    utterances.push({
      startMs: t,
      endMs: t + length,
      speaker,
      f0Hz: f0[speaker],
      syllables: Math.max(2, Math.round(length / 220)),
    });
    t += length + between(300, 700);
  }
  const last = utterances[utterances.length - 1]!;
  return { utterances, durationMs: last.endMs + between(400, 600) };
}

/** Renders one utterance (voiced harmonics, syllable envelope, an optional fricative onset) into `out`. */
function renderUtterance(out: Float32Array, u: Utterance, sampleRate: number, rand: () => number): void {
  const start = Math.round((u.startMs / 1000) * sampleRate);
  const end = Math.round((u.endMs / 1000) * sampleRate);
  const n = end - start;
  const gain = 0.25 + rand() * 0.35;
  const ramp = Math.round(0.015 * sampleRate);
  const fricative = rand() < 0.5 ? Math.round(0.03 * sampleRate) : 0;
  const drift = (rand() - 0.5) * 0.08;
  let phase = 0;
  for (let i = 0; i < n; i++) {
    const x = i / n;
    const f = u.f0Hz * (1 + drift * (x - 0.5) + 0.02 * Math.sin(2 * Math.PI * 5 * (i / sampleRate)));
    phase += (2 * Math.PI * f) / sampleRate;
    let voiced = 0;
    for (let h = 1; h <= 5; h++) voiced += Math.sin(h * phase) / h;
    // Syllables: the envelope dips to ~0.35 between nuclei, never to silence.
    const syllable = 0.35 + 0.65 * Math.sin(Math.PI * ((x * u.syllables) % 1)) ** 2;
    const edge = Math.min(1, i / ramp, (n - i) / ramp);
    const noise = (rand() * 2 - 1) * (i < fricative ? 0.6 : 0.05);
    out[start + i]! += gain * edge * (i < fricative ? noise : (voiced / 2) * syllable + noise);
  }
}

/**
 * A short speech-like recording: 4–5 utterances by two speakers of clearly different pitch,
 * separated by silences over a faint noise floor. 16 kHz mono 16-bit PCM by default.
 */
export function generateSpeechWav(options: { seed: number; sampleRate?: number }): GeneratedSpeech {
  const sampleRate = options.sampleRate ?? 16_000;
  const rand = seededRandom(options.seed);
  const { utterances, durationMs } = planUtterances(rand);
  const samples = new Float32Array(Math.round((durationMs / 1000) * sampleRate));
  for (let i = 0; i < samples.length; i++) samples[i] = (rand() * 2 - 1) * 0.002;
  for (const u of utterances) renderUtterance(samples, u, sampleRate, rand);
  return { wav: encodeWav16(samples, sampleRate), sampleRate, durationMs, utterances };
}
