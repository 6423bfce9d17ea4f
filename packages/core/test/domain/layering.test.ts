/** The domain layer depends on nothing else in core: no import from ports/, services/ or runtime/. */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const domainDir = fileURLToPath(new URL('../../src/domain/', import.meta.url));

describe('domain layering', () => {
  it('imports only from domain/ and packages', async () => {
    const files = (await readdir(domainDir)).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const file of files) {
      const text = await readFile(`${domainDir}${file}`, 'utf8');
      for (const [, from] of text.matchAll(/from '([^']+)'/g)) {
        if (from!.startsWith('../')) offending.push(`${file}: ${from}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
