/**
 * Suite 4, artifacts: a generated stream of `artifactBytes` (1 GiB; 128 MiB in quick mode)
 * uploaded and downloaded through Dalston's S3ArtifactStore and through a bare
 * `@aws-sdk/lib-storage` Upload / GetObject (default part size and queue size), against one
 * private s3rver. Every transfer runs in its own child process (artifacts-child.ts) so the
 * peak RSS of each client is comparable; the order alternates between runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jobInputKey } from '@dalston/core/adapter';
import { startS3Server } from '../../../test-support/s3.js';
import type { BenchOptions } from '../lib/options.js';
import { add } from '../lib/report.js';
import { runTag } from '../lib/stats.js';

const SDK = 'bare @aws-sdk/lib-storage 3.1175.0';
const MiB = 1024 * 1024;

interface Transfer {
  ms: number;
  bytes: number;
  peakRss: number;
  baseRss: number;
}

const childFile = fileURLToPath(new URL('../artifacts-child.ts', import.meta.url));
const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

function runChild(who: string, direction: string, cfg: object): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', childFile, who, direction, JSON.stringify(cfg)],
      {
        env: {
          ...process.env,
          TSX_TSCONFIG_PATH: tsconfig,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 8_000) err += d.toString();
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${who} ${direction} exited with ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as Transfer);
      } catch (e) {
        reject(new Error(`${who} ${direction}: unreadable result ${out} ${err}`, { cause: e }));
      }
    });
  });
}

const mbps = (t: Transfer) => t.bytes / MiB / (t.ms / 1000);

export async function artifactsSuite(o: BenchOptions): Promise<void> {
  const server = await startS3Server({ own: true, bucket: `dalston-bench-${runTag()}` });
  const bytes = o.counts.artifactBytes;
  const best: Record<string, Transfer> = {};
  const keep = (name: string, t: Transfer) => {
    const b = best[name];
    best[name] = !b
      ? t
      : { ...(mbps(t) > mbps(b) ? t : b), peakRss: Math.min(b.peakRss, t.peakRss), baseRss: t.baseRss };
  };
  try {
    const repeat = o.quick ? o.repeat : Math.min(o.repeat, 2);
    for (let r = 0; r < repeat; r++) {
      const order = r % 2 === 0 ? ['dalston', 'sdk'] : ['sdk', 'dalston'];
      for (const direction of ['up', 'down']) {
        for (const who of order) {
          const cfg = {
            endpoint: server.endpoint,
            bucket: server.bucket,
            key: jobInputKey('bench', `${who}-${r}`, 'blob.bin'),
            bytes,
          };
          const t = await runChild(who, direction, cfg);
          console.log(
            `  ${who} ${direction}: ${mbps(t).toFixed(1)} MB/s, peak RSS ${(t.peakRss / MiB).toFixed(0)} MiB (idle ${(t.baseRss / MiB).toFixed(0)} MiB)`,
          );
          keep(`${who}-${direction}`, t);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const size = bytes >= 1024 * MiB ? `${bytes / (1024 * MiB)} GiB` : `${bytes / MiB} MiB`;
  for (const direction of ['up', 'down'] as const) {
    const d = best[`dalston-${direction}`]!;
    const s = best[`sdk-${direction}`]!;
    const label = direction === 'up' ? 'upload' : 'download';
    add({
      suite: '4 artifacts',
      measurement: `${size} ${label} throughput`,
      baseline: SDK,
      dalston: mbps(d),
      base: mbps(s),
      unit: 'MB/s',
      higherIsBetter: true,
      target: 0.9,
    });
    add({
      suite: '4 artifacts',
      measurement: `${size} ${label} peak RSS of the client process`,
      baseline: SDK,
      dalston: d.peakRss / MiB,
      base: s.peakRss / MiB,
      unit: 'MiB',
      higherIsBetter: false,
      target: 1.2,
      note: `idle process ${(d.baseRss / MiB).toFixed(0)} / ${(s.baseRss / MiB).toFixed(0)} MiB`,
    });
  }
}
