import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav16, generateSpeechWav, parseWavInfo, WavFormatError } from '../src/wav.js';

const ramp = () => Float32Array.from({ length: 1600 }, (_, i) => Math.sin(i / 10) * 0.8);

/** A WAV header with chosen fields, for malformed-input tests. */
function header(fields: {
  riff?: string;
  wave?: string;
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  dataBytes?: number;
  actualBytes?: number;
}) {
  const {
    riff = 'RIFF',
    wave = 'WAVE',
    format = 1,
    channels = 1,
    rate = 16000,
    bits = 16,
    dataBytes = 8,
  } = fields;
  const actual = fields.actualBytes ?? dataBytes;
  const out = new Uint8Array(44 + actual);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, riff);
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, wave);
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  ascii(36, 'data');
  v.setUint32(40, dataBytes, true);
  return out;
}

describe('wav', () => {
  it('round-trips 16-bit mono PCM within one quantisation step', () => {
    const samples = ramp();
    const decoded = decodeWav(encodeWav16(samples, 16000));
    expect(decoded.info).toEqual({
      sampleRate: 16000,
      channelCount: 1,
      bitsPerSample: 16,
      frameCount: 1600,
      durationMs: 100,
    });
    const channel = decoded.channels[0]!;
    for (let i = 0; i < samples.length; i++)
      expect(Math.abs(channel[i]! - samples[i]!)).toBeLessThan(1 / 16000);
  });

  it('decodes stereo 8-bit and skips unknown chunks', () => {
    const wav = header({ channels: 2, bits: 8, dataBytes: 4 });
    wav.set([255, 0, 128, 128], 44);
    const decoded = decodeWav(wav);
    expect(decoded.channels).toHaveLength(2);
    expect(decoded.channels[0]![0]).toBeCloseTo(127 / 128);
    expect(decoded.channels[1]![0]).toBe(-1);
    expect(decoded.channels[0]![1]).toBe(0);

    const withList = new Uint8Array(wav.length + 12);
    withList.set(wav.subarray(0, 36));
    withList.set(
      [...'LIST'].map((c) => c.charCodeAt(0)),
      36,
    );
    new DataView(withList.buffer).setUint32(40, 4, true);
    withList.set(wav.subarray(36), 48);
    expect(parseWavInfo(withList).frameCount).toBe(2);
  });

  it('generates a deterministic recording with two speakers', () => {
    const a = generateSpeechWav({ seed: 7 });
    const b = generateSpeechWav({ seed: 7 });
    expect(Buffer.from(a.wav).equals(Buffer.from(b.wav))).toBe(true);
    expect(a.durationMs).toBeGreaterThanOrEqual(5000);
    expect(a.durationMs).toBeLessThanOrEqual(10_500);
    expect(new Set(a.utterances.map((u) => u.speaker))).toEqual(new Set(['A', 'B']));
    expect(parseWavInfo(a.wav)).toMatchObject({ sampleRate: 16000, channelCount: 1, bitsPerSample: 16 });
  });

  it.each([
    ['too short', new Uint8Array(8), /too short/],
    ['not RIFF', header({ riff: 'RIFX' }), /RIFF signature/],
    ['not WAVE', header({ wave: 'AVI ' }), /not WAVE/],
    ['float format', header({ format: 3, bits: 32 }), /audio format 3/],
    ['zero channels', header({ channels: 0 }), /channel count 0/],
    ['absurd sample rate', header({ rate: 1000 }), /sample rate 1000/],
    ['12-bit', header({ bits: 12 }), /bit depth 12/],
    ['truncated data', header({ dataBytes: 1000, actualBytes: 10 }), /truncated/],
    ['empty data', header({ dataBytes: 0 }), /no samples/],
  ])('rejects %s with a clear message', (_name, bytes, message) => {
    expect(() => decodeWav(bytes)).toThrow(WavFormatError);
    expect(() => decodeWav(bytes)).toThrow(message);
  });

  it('rejects a file with no data chunk', () => {
    expect(() => decodeWav(header({}).subarray(0, 36))).toThrow(/no data chunk/);
  });
});
