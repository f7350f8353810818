import { describe, expect, it } from 'vitest';
import type { AgentContext, AgentSession } from '../agent.js';
import { AUDIO_FORMAT, SAMPLES_PER_MS } from '../protocol/messages.js';
import type { AgentMessage, GatewayMessage, StartMessage } from '../protocol/messages.js';
import { createDemoAgent, SENTENCE_GAP_MS, WORD_GAP_MS } from './demo.js';
import { readFileSync } from 'node:fs';
import { loadDemoPrompts, PROMPT_NAMES, PROMPT_TEXT, timeClips } from './prompts.js';
import type { DemoPrompts, PromptName } from './prompts.js';

const START: StartMessage = {
  type: 'start',
  version: 1,
  callId: 'c',
  streamId: 's',
  from: '+15550100001',
  to: '+15550100002',
  direction: 'inbound',
  parameters: {},
  audio: AUDIO_FORMAT,
};

type Out = { audio: Int16Array } | { msg: AgentMessage };

/** Each prompt is a run of one distinct value, 10 + index samples long, so audio can be read back as words. */
const FAKE: DemoPrompts = Object.fromEntries(
  PROMPT_NAMES.map((name, i) => [name, new Int16Array(10 + i).fill(i + 1)]),
) as Record<PromptName, Int16Array>;

function fakeCall(now = new Date('2025-01-02T14:35:07Z')): {
  session: AgentSession;
  out: Out[];
  /** The transcript lines sent (kept apart from `out`). */
  lines: string[];
  abort: AbortController;
  dtmf(digit: string): void;
  markBack(status: 'played' | 'cleared'): string;
} {
  const out: Out[] = [];
  const lines: string[] = [];
  const abort = new AbortController();
  const ctx: AgentContext = {
    start: START,
    signal: abort.signal,
    sendAudio: (pcm) => out.push({ audio: pcm.slice() }),
    send: (msg) => {
      if (msg.type !== 'transcript') out.push({ msg });
      else if (msg.role === 'agent' && msg.final) lines.push(msg.text);
      else throw new Error(`unexpected line ${JSON.stringify(msg)}`);
    },
  };
  const session = createDemoAgent({ prompts: FAKE, now: () => now }).create(ctx);
  const send = (m: GatewayMessage): void => session.onMessage(m);
  return {
    session,
    out,
    lines,
    abort,
    dtmf: (digit) => send({ type: 'dtmf', digit, durationMs: 100, source: 'rfc4733' }),
    markBack(status) {
      const mark = lastMark(out);
      send({ type: 'mark', name: mark, status, playedMs: 0 });
      return mark;
    },
  };
}

function lastMark(out: Out[]): string {
  for (let i = out.length - 1; i >= 0; i--) {
    const o = out[i];
    if (o !== undefined && 'msg' in o && o.msg.type === 'mark') return o.msg.name;
  }
  throw new Error('no mark sent');
}

/** Reads audio back as the list of prompt names it is made of, checking the gaps between them. */
function words(pcm: Int16Array): string[] {
  const names: string[] = [];
  let i = 0;
  while (i < pcm.length) {
    const v = pcm[i] ?? 0;
    let j = i;
    while (j < pcm.length && pcm[j] === v) j++;
    const run = j - i;
    if (v === 0) {
      expect([WORD_GAP_MS * SAMPLES_PER_MS, SENTENCE_GAP_MS * SAMPLES_PER_MS]).toContain(run);
      if (run === SENTENCE_GAP_MS * SAMPLES_PER_MS) names.push('|');
    } else {
      const name = PROMPT_NAMES[v - 1] ?? '?';
      expect(run).toBe(FAKE[name as PromptName].length);
      names.push(name);
    }
    i = j;
  }
  return names;
}

const kinds = (out: Out[]): string[] => out.map((o) => ('audio' in o ? 'audio' : o.msg.type));
const audioOf = (o: Out | undefined): Int16Array => {
  if (o === undefined || !('audio' in o)) throw new Error(`expected audio, got ${JSON.stringify(o)}`);
  return o.audio;
};

describe('demo agent', () => {
  it('greets on start: the welcome and the menu, then a mark', () => {
    const call = fakeCall();
    expect(kinds(call.out)).toEqual(['audio', 'mark']);
    expect(words(audioOf(call.out[0]))).toEqual(['welcome', '|', 'menu']);
  });

  it('digit 2 after the greeting has played: speaks the UTC time, then the menu, without a clear', () => {
    const call = fakeCall(new Date('2025-01-02T14:35:07Z'));
    call.markBack('played');
    call.out.length = 0;
    call.dtmf('2');
    expect(kinds(call.out)).toEqual(['audio', 'mark']);
    expect(words(audioOf(call.out[0]))).toEqual(['the-time-is', 'n14', 'n30', 'n5', 'utc', '|', 'menu']);
  });

  it('a digit during a prompt sends clear first, then the new prompt and its mark', () => {
    const call = fakeCall();
    call.out.length = 0;
    call.dtmf('2'); // greeting still playing: no mark back yet
    expect(kinds(call.out)).toEqual(['clear', 'audio', 'mark']);
    // The cleared greeting's mark, arriving late, does not disturb the new prompt.
    call.session.onMessage({ type: 'mark', name: 'prompt-1', status: 'cleared', playedMs: 500 });
    call.out.length = 0;
    call.dtmf('7');
    expect(kinds(call.out)).toEqual(['clear', 'audio', 'mark']);
    expect(words(audioOf(call.out[1]))).toEqual(['sorry', '|', 'menu']);
  });

  it('echo test: echoes only after the intro has played, and * returns to the menu with a clear', () => {
    const call = fakeCall();
    call.markBack('played');
    call.dtmf('1');
    const frame = new Int16Array(480).fill(77);
    call.session.onAudio(frame);
    expect(words(audioOf(call.out.at(-2)))).toEqual(['echo-intro']);
    expect(kinds(call.out).at(-1)).toBe('mark'); // no echo during the intro
    call.markBack('played');
    call.out.length = 0;
    call.session.onAudio(frame);
    expect(call.out).toEqual([{ audio: frame }]);
    call.dtmf('5'); // ignored in echo mode
    expect(call.out).toHaveLength(1);
    call.out.length = 0;
    call.dtmf('*');
    expect(kinds(call.out)).toEqual(['clear', 'audio', 'mark']);
    expect(words(audioOf(call.out[1]))).toEqual(['menu']);
    call.out.length = 0;
    call.session.onAudio(frame);
    expect(call.out).toEqual([]);
  });

  it('an intro that was cleared (not played) does not start the echo', () => {
    const call = fakeCall();
    call.markBack('played');
    call.dtmf('1');
    call.markBack('cleared');
    call.out.length = 0;
    call.session.onAudio(new Int16Array(480).fill(5));
    expect(call.out).toEqual([]);
  });

  it('says each prompt as a transcript line, once, when it starts', () => {
    const call = fakeCall(new Date('2025-01-02T14:35:07Z'));
    expect(call.lines).toEqual(['Welcome to Patchbay. Press 1 for an echo test. Press 2 to hear the time.']);
    call.dtmf('2');
    call.dtmf('9');
    call.dtmf('1');
    call.markBack('played');
    call.session.onAudio(new Int16Array(480).fill(3)); // the caller's echo is not a line
    call.dtmf('*');
    expect(call.lines.slice(1)).toEqual([
      'The time is fourteen thirty five UTC. Press 1 for an echo test. Press 2 to hear the time.',
      'Sorry, I did not understand. Press 1 for an echo test. Press 2 to hear the time.',
      'Echo test. Speak, and you will hear yourself. Press star to return to the menu.',
      'Press 1 for an echo test. Press 2 to hear the time.',
    ]);
  });

  it('the prompts\' texts are what scripts/make-prompts.sh speaks', () => {
    const script = readFileSync(new URL('../../scripts/make-prompts.sh', import.meta.url), 'utf8');
    const made = [...script.matchAll(/^make (\S+) "([^"]+)"$/gm)].map((m) => [m[1] ?? '', m[2] ?? ''] as const);
    expect(made.length).toBeGreaterThan(10);
    for (const [name, text] of made) expect(PROMPT_TEXT[name as PromptName].replace(/ /g, ''), name).toBe(text.replace(/ /g, ''));
    const words = /words=\(([^)]*)\)/.exec(script)?.[1]?.split(/\s+/).filter((w) => w !== '') ?? [];
    expect(words).toHaveLength(20);
    words.forEach((w, i) => expect(PROMPT_TEXT[`n${i}` as PromptName]).toBe(w));
  });

  it('sends nothing once the call has ended', () => {
    const call = fakeCall();
    call.abort.abort();
    call.session.close();
    call.out.length = 0;
    call.dtmf('2');
    call.session.onAudio(new Int16Array(480));
    expect(call.out).toEqual([]);
  });

  it('speaks minutes as hundred, "oh five", or a number', () => {
    expect(timeClips(new Date('2025-01-01T00:00:00Z'))).toEqual(['the-time-is', 'n0', 'hundred', 'utc']);
    expect(timeClips(new Date('2025-01-01T09:05:00Z'))).toEqual(['the-time-is', 'n9', 'oh', 'n5', 'utc']);
    expect(timeClips(new Date('2025-01-01T23:59:00Z'))).toEqual(['the-time-is', 'n20', 'n3', 'n50', 'n9', 'utc']);
    expect(timeClips(new Date('2025-01-01T12:40:00Z'))).toEqual(['the-time-is', 'n12', 'n40', 'utc']);
  });

  it('loads the committed prompts: every one is non-empty speech', () => {
    const prompts = loadDemoPrompts();
    for (const name of PROMPT_NAMES) {
      expect(prompts[name].length, name).toBeGreaterThan(SAMPLES_PER_MS * 100);
    }
    // The greeting is a few seconds long, not a truncated file.
    expect(prompts.welcome.length + prompts.menu.length).toBeGreaterThan(SAMPLES_PER_MS * 3000);
  });
});
