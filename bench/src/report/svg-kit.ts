/**
 * The few pieces of SVG the charts are built from, as strings. Every attribute value and text node is escaped
 * here, so the charts never splice raw text into markup.
 */
import { escapeXml } from './format.js';

export type Attrs = Readonly<Record<string, string | number | undefined>>;

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

export const COLORS = {
  text: '#1f2328',
  muted: '#59636e',
  grid: '#d1d9e0',
  gridMinor: '#eef1f4',
  p50to95: '#0969da',
  p95to99: '#80b6f0',
  tail: '#0550ae',
  floor: '#8c959f',
  cpu: '#0969da',
  latency: '#bf3989',
  bad: '#cf222e',
} as const;

/** A coordinate rounded to 0.1 px, which keeps the files small and diffable. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function attrs(a: Attrs): string {
  let out = '';
  for (const [key, value] of Object.entries(a)) {
    if (value === undefined) continue;
    out += ` ${key}="${escapeXml(typeof value === 'number' ? px(value) : value)}"`;
  }
  return out;
}

/** An element; `children` is markup (already built with these helpers), not text. Empty children → self-closing. */
export function el(name: string, a: Attrs, children: readonly string[] = []): string {
  return children.length === 0 ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${children.join('')}</${name}>`;
}

/** A text element; `content` is plain text and is escaped. */
export function text(content: string, a: Attrs): string {
  return `<text${attrs(a)}>${escapeXml(content)}</text>`;
}

/** A standalone SVG document: xmlns, viewBox, a white background (readable in dark-mode viewers), system font. */
export function svgDocument(width: number, height: number, title: string, body: readonly string[]): string {
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${px(width)}" height="${px(height)}" ` +
    `viewBox="0 0 ${px(width)} ${px(height)}" font-family="${escapeXml(FONT)}" font-size="13" fill="${COLORS.text}" ` +
    `role="img" aria-label="${escapeXml(title)}">`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    open,
    `<title>${escapeXml(title)}</title>`,
    el('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A tooltip (`<title>` child); `content` is plain text and is escaped. */
export function tooltip(content: string): string {
  return `<title>${escapeXml(content)}</title>`;
}
