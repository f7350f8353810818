/** Rendering bench results for people: Markdown, SVG charts, a progress bar, and the files on disk. */
export { renderMarkdown, type MarkdownCharts } from './markdown.js';
export { latencyChart, rampChart } from './svg.js';
export { createProgress, renderProgressLine, type Progress, type ProgressOptions, type ProgressStream } from './progress.js';
export { DEFAULT_RESULTS_DIR, reportFiles, writeReport, type ReportFile } from './write.js';
export { benchCommand } from './format.js';
export type * from './types.js';
