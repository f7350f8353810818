/**
 * Writes a bench result to disk: `<date>-<name>.json`, `.md`, `-latency.svg`, `-ramp.svg` (when the run ramped),
 * and `LATEST.md`, a copy of the newest Markdown that the README links. `reportFiles` decides names and contents
 * (pure); `writeReport` only creates the folder and writes them.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { datePart } from './format.js';
import { renderMarkdown } from './markdown.js';
import { latencyChart, rampChart } from './svg.js';
import type { BenchReport } from './types.js';

/** bench/results/, next to this package's src/. */
export const DEFAULT_RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));

export const LATEST_FILE = 'LATEST.md';

export interface ReportFile {
  /** File name inside the results folder. */
  name: string;
  content: string;
}

/** A run name as a file-name part: lower case, letters, digits, dot, dash and underscore; "bench" if nothing is left. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return s === '' ? 'bench' : s;
}

/** The files for one result, in write order; LATEST.md last. */
export function reportFiles(result: BenchReport): ReportFile[] {
  const base = `${datePart(result.startedAt)}-${slug(result.name)}`;
  const hasRamp = result.ramp !== undefined && result.ramp.length > 0;
  const latencySvg = `${base}-latency.svg`;
  const rampSvg = `${base}-ramp.svg`;
  const markdown = renderMarkdown(result, hasRamp ? { latencySvg, rampSvg } : { latencySvg });
  const files: ReportFile[] = [
    { name: `${base}.json`, content: `${JSON.stringify(result, null, 2)}\n` },
    { name: `${base}.md`, content: markdown },
    { name: latencySvg, content: latencyChart(result) },
  ];
  if (hasRamp) files.push({ name: rampSvg, content: rampChart(result) });
  files.push({ name: LATEST_FILE, content: markdown });
  return files;
}

/**
 * Writes the report into `dir` (created if missing) and returns the paths written. LATEST.md is replaced by
 * rename, so a reader never sees half a file.
 */
export async function writeReport(result: BenchReport, dir: string = DEFAULT_RESULTS_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const file of reportFiles(result)) {
    const path = join(dir, file.name);
    if (file.name === LATEST_FILE) {
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, file.content, 'utf8');
      await rename(tmp, path);
    } else {
      await writeFile(path, file.content, 'utf8');
    }
    written.push(path);
  }
  return written;
}
