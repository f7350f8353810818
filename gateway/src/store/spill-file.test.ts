import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpillFile } from './spill-file.js';

const dir = mkdtempSync(join(tmpdir(), 'patchbay-spill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fail = (err: unknown): never => {
  throw err;
};

describe('SpillFile', () => {
  it('appends in order, reads back from the front, empties itself once all is committed', async () => {
    const spill = new SpillFile(join(dir, 'a', 'q.ndjson'), 1 << 20, fail);
    await spill.open();
    for (let i = 0; i < 10; i++) expect(spill.append({ kind: 'k', data: { i } })).toBe(true);
    const first = await spill.read(4);
    expect(first.map((s) => s.op.data)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }, { i: 3 }]);
    await spill.commit(4, first.reduce((n, s) => n + s.bytes, 0));
    const rest = await spill.read(100);
    expect(rest.map((s) => (s.op.data as { i: number }).i)).toEqual([4, 5, 6, 7, 8, 9]);
    await spill.commit(6, rest.reduce((n, s) => n + s.bytes, 0));
    expect(spill.count).toBe(0);
    expect(readFileSync(spill.path, 'utf8')).toBe('');
    await spill.closeWithFront([]);
  });

  it('refuses past its bound; cuts a torn last line at open; skips a corrupt line as kind ""', async () => {
    const path = join(dir, 'b.ndjson');
    writeFileSync(path, '{"kind":"k","data":1}\nnot json\n{"kind":"k","data":3}\n');
    appendFileSync(path, '{"kind":"k","da'); // a crash mid-write
    const spill = new SpillFile(path, 120, fail);
    await spill.open();
    expect(spill.count).toBe(3);
    expect((await spill.read(10)).map((s) => s.op)).toEqual([{ kind: 'k', data: 1 }, { kind: '', data: null }, { kind: 'k', data: 3 }]);
    expect(spill.append({ kind: 'k', data: 'x'.repeat(100) })).toBe(false);
    expect(spill.append({ kind: 'k', data: 4 })).toBe(true);
    expect(await spill.closeWithFront([{ kind: 'front', data: 0 }])).toBe(0);
    expect(readFileSync(path, 'utf8').split('\n')).toEqual(['{"kind":"front","data":0}', '{"kind":"k","data":1}', 'not json', '{"kind":"k","data":3}', '{"kind":"k","data":4}', '']);
  });
});
