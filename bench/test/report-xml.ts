/**
 * A tiny strict XML reader for the chart tests: it walks the text character by character (no regexes), checks
 * that tags balance, attribute values are quoted, `<` never appears raw in text or attributes, and `&` starts a
 * known entity. Returns the element tree, or throws with the offset of the first problem.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Decoded text directly inside this element. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.';
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`XML: ${why} at offset ${i}: ${JSON.stringify(src.slice(Math.max(0, i - 30), i + 30))}`);
  };
  const decode = (raw: string): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const c = raw.charAt(k);
      if (c === '<') fail('raw < in text or attribute');
      if (c !== '&') {
        out += c;
        continue;
      }
      const end = raw.indexOf(';', k);
      if (end < 0) fail('unterminated entity');
      const name = raw.slice(k + 1, end);
      if (name.startsWith('#')) {
        const code = name.startsWith('#x') ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
        if (!Number.isFinite(code)) fail(`bad character reference &${name};`);
        out += String.fromCodePoint(code);
      } else {
        const value = ENTITIES[name];
        if (value === undefined) fail(`unknown entity &${name};`);
        out += value ?? '';
      }
      k = end;
    }
    return out;
  };
  const readName = (): string => {
    const start = i;
    while (i < src.length && isNameChar(src.charAt(i))) i++;
    if (i === start) fail('expected a name');
    return src.slice(start, i);
  };
  const skipSpace = (): void => {
    while (isSpace(src[i])) i++;
  };

  const root: XmlElement = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  const top = (): XmlElement => stack[stack.length - 1] ?? root;

  while (i < src.length) {
    if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('</', i)) {
      i += 2;
      const name = readName();
      skipSpace();
      if (src[i] !== '>') fail('expected > after closing tag');
      i++;
      const open = stack.pop();
      if (open === undefined || open === root || open.name !== name) fail(`</${name}> does not close <${open?.name ?? ''}>`);
    } else if (src[i] === '<') {
      i++;
      const el: XmlElement = { name: readName(), attrs: {}, children: [], text: '' };
      for (;;) {
        const hadSpace = isSpace(src[i]);
        skipSpace();
        if (src.startsWith('/>', i)) {
          i += 2;
          top().children.push(el);
          break;
        }
        if (src[i] === '>') {
          i++;
          top().children.push(el);
          stack.push(el);
          break;
        }
        if (!hadSpace) fail('expected space before attribute');
        const attr = readName();
        if (src[i] !== '=') fail('expected = after attribute name');
        i++;
        const quote = src[i];
        if (quote !== '"' && quote !== "'") fail('unquoted attribute value');
        const end = src.indexOf(quote ?? '"', i + 1);
        if (end < 0) fail('unterminated attribute value');
        if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
        el.attrs[attr] = decode(src.slice(i + 1, end));
        i = end + 1;
      }
    } else {
      const end = src.indexOf('<', i);
      const stop = end < 0 ? src.length : end;
      const chunk = decode(src.slice(i, stop));
      const parent = top();
      if (parent === root && chunk.trim() !== '') fail('text outside the root element');
      parent.text += chunk;
      i = stop;
    }
  }
  if (stack.length !== 1) fail(`unclosed <${top().name}>`);
  if (root.children.length !== 1) fail(`expected one root element, found ${root.children.length}`);
  const doc = root.children[0];
  if (doc === undefined) return fail('no root element');
  return doc;
}

/** Every element in the tree, depth first. */
export function allElements(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap(allElements)];
}

/** All text under an element, concatenated. */
export function deepText(el: XmlElement): string {
  return el.text + el.children.map(deepText).join('');
}
