/**
 * A small PromQL scanner for the dashboards' static checks: which metric names an expression reads, with which
 * label matchers, and which labels it groups by. It is a tokenizer, not a parser:
 *
 * - An identifier is a metric name unless it is followed by `(` (a function or aggregation: `rate(`, `sum(`), by
 *   `by`/`without` (`sum by (le) (...)`), or is a keyword (`by`, `on`, `offset`, `bool`, `and`, `or`, `unless`, ...).
 * - Label matchers (`{...}`), ranges and subqueries (`[5m]`, `[1h:1m]`), strings, numbers, durations and Grafana
 *   variables (`$instance`, `${DS}`, `$__rate_interval`, `[[var]]`) are skipped as whole tokens; the label lists of
 *   `by`/`without`/`on`/`ignoring`/`group_left`/`group_right` are collected as grouping labels.
 * - A bare selector `{__name__="x"}` counts as metric `x`; `{__name__=~"x|y"}` (a regex over names) is reported as
 *   a selector without a metric name, which the caller should treat as unchecked.
 *
 * Limits: it does not know PromQL's grammar, so it cannot tell which grouping label applies to which metric, does not
 * evaluate regexes, and would take a metric literally named like a keyword (`bool`, `on`) for the keyword. A metric
 * written with a space before `(` (impossible in valid PromQL) would be taken for a function. Good enough for
 * dashboards written by us; it throws on anything it cannot tokenise rather than guessing.
 */

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  readonly label: string;
  readonly op: MatchOp;
  readonly value: string;
}

export interface Selector {
  /** undefined: a bare `{...}` selector whose metric name is not a plain `__name__="..."`. */
  readonly metric: string | undefined;
  readonly matchers: readonly Matcher[];
}

export interface PromQLScan {
  readonly selectors: readonly Selector[];
  /** Labels named in `by (...)`, `without (...)`, `on (...)`, `ignoring (...)`, `group_left/right (...)`. */
  readonly groupingLabels: readonly string[];
  /** Grafana variables the expression uses (`$instance` → `instance`, `${DS_X}` → `DS_X`, `[[hop]]` → `hop`). */
  readonly variables: readonly string[];
}

const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['offset', 'bool', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

const SPACE = /\s+|#[^\n]*/y;
const STRING = /"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/y;
const VARIABLE = /\$\{([^}:]+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]/y;
const NUMBER = /0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:[a-zA-Z]+\d*)*/y;
const IDENT = /[a-zA-Z_:][\w:]*/y;
const MATCHER = /\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)\s*(?:,|$)/y;
const LABEL_ITEM = /\s*([a-zA-Z_]\w*)\s*(?:,|$)/y;

export class PromQLScanError extends Error {
  override readonly name = 'PromQLScanError';
  readonly code = 'PROMQL_SCAN';
}

function stickyAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

/** Index just past the bracket that closes the one at `start`, skipping strings. */
function closing(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const s = stickyAt(STRING, text, i);
    if (s !== null) {
      i += s[0].length - 1;
      continue;
    }
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i + 1;
  }
  throw new PromQLScanError(`unbalanced '${open}' at ${start} in: ${text}`);
}

function unquote(quoted: string): string {
  const body = quoted.slice(1, -1);
  return quoted.startsWith('`') ? body : body.replace(/\\(.)/g, '$1');
}

function parseList<T>(body: string, re: RegExp, make: (m: RegExpExecArray) => T, what: string): T[] {
  const out: T[] = [];
  let at = 0;
  while (body.slice(at).trim() !== '') {
    const m = stickyAt(re, body, at);
    if (m === null || m[0] === '') throw new PromQLScanError(`cannot read ${what} '${body.slice(at)}'`);
    out.push(make(m));
    at += m[0].length;
  }
  return out;
}

function parseMatchers(body: string): Matcher[] {
  return parseList(
    body,
    MATCHER,
    (m) => ({ label: m[1] ?? '', op: (m[2] ?? '=') as MatchOp, value: unquote(m[3] ?? '""') }),
    'label matchers',
  );
}

/** Tokenise one PromQL expression (Grafana variables allowed); throws PromQLScanError on what it cannot read. */
export function scanPromQL(expr: string): PromQLScan {
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  const variables: string[] = [];
  let i = 0;
  const skipSpace = (): void => {
    for (let m = stickyAt(SPACE, expr, i); m !== null; m = stickyAt(SPACE, expr, i)) i += m[0].length;
  };
  const selectorBody = (): Matcher[] => {
    const end = closing(expr, i, '{', '}');
    const body = expr.slice(i + 1, end - 1);
    i = end;
    return parseMatchers(body);
  };

  while (i < expr.length) {
    const space = stickyAt(SPACE, expr, i) ?? stickyAt(STRING, expr, i);
    if (space !== null) {
      i += space[0].length;
      continue;
    }
    const variable = stickyAt(VARIABLE, expr, i);
    if (variable !== null) {
      variables.push(variable[1] ?? variable[2] ?? variable[3] ?? '');
      i += variable[0].length;
      continue;
    }
    const number = stickyAt(NUMBER, expr, i);
    if (number !== null) {
      i += number[0].length;
      continue;
    }
    const ch = expr[i];
    if (ch === '[') {
      // A range or subquery; its Grafana variables still count as used.
      const end = closing(expr, i, '[', ']');
      for (const m of expr.slice(i, end).matchAll(/\$\{?(\w+)/g)) variables.push(m[1] ?? '');
      i = end;
      continue;
    }
    if (ch === '{') {
      const matchers = selectorBody();
      const name = matchers.find((m) => m.label === '__name__' && m.op === '=');
      selectors.push({ metric: name?.value, matchers: matchers.filter((m) => m !== name) });
      continue;
    }
    const ident = stickyAt(IDENT, expr, i);
    if (ident === null) {
      i++; // operators, parentheses, commas
      continue;
    }
    const word = ident[0];
    i += word.length;
    skipSpace();
    const next = expr[i];
    if (LABEL_LISTS.has(word.toLowerCase())) {
      if (next === '(') {
        const end = closing(expr, i, '(', ')');
        groupingLabels.push(...parseList(expr.slice(i + 1, end - 1), LABEL_ITEM, (m) => m[1] ?? '', 'label list'));
        i = end;
      }
      continue;
    }
    if (KEYWORDS.has(word.toLowerCase())) continue;
    if (next === '(' || /^(by|without)\b/i.test(expr.slice(i))) continue; // function or aggregation
    selectors.push({ metric: word, matchers: next === '{' ? selectorBody() : [] });
  }
  // Grafana substitutes variables inside strings too (`instance=~"$instance"`).
  for (const s of selectors) {
    for (const m of s.matchers) for (const v of m.value.matchAll(/\$\{?(\w+)/g)) variables.push(v[1] ?? '');
  }
  return { selectors, groupingLabels, variables: [...new Set(variables)] };
}

/**
 * The PromQL inside a Grafana Prometheus variable query: `label_values(expr, label)` → expr (and the label),
 * `label_values(label)` / `label_names()` / `metrics(regex)` → none, `query_result(expr)` → expr, else the query.
 */
export function variableQueryExprs(query: string): { exprs: string[]; label?: string } {
  const q = query.trim();
  const lv = /^label_values\(\s*([\s\S]*),\s*([a-zA-Z_]\w*)\s*\)$/.exec(q);
  if (lv !== null) return { exprs: [lv[1] ?? ''], label: lv[2] ?? '' };
  if (/^label_values\(\s*[a-zA-Z_]\w*\s*\)$/.test(q) || /^(label_names|metrics)\(/.test(q)) return { exprs: [] };
  const qr = /^query_result\(([\s\S]*)\)$/.exec(q);
  return { exprs: [qr === null ? q : (qr[1] ?? '')] };
}
