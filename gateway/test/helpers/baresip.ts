/**
 * Run baresip (Debian `baresip`, 1.0.0) headless as a softphone that places one call and records what it hears.
 *
 * Each call gets a temporary config directory:
 * - modules: g711, g722, opus (codecs); aufile (microphone from a WAV); aubridge (a player that needs no sound
 *   card; it is never drained, which is fine because nothing listens); sndfile (dumps the decoded audio of each
 *   direction to WAV, which is the recording); account; menu (the `dial` and `hangup` commands); ctrl_tcp (JSON
 *   netstrings on 127.0.0.1: commands in, call events out).
 * - `net_interface 127.0.0.1`, so SIP and SDP use loopback only; a random RTP port window of its own.
 *
 * baresip 1.0's `aufile` is a source only (no `audio_player aufile`), and the file must have the rate set by
 * `ausrc_srate`; so the microphone WAV's rate is used, and the WAV is padded with silence so it outlasts the call
 * (on end of file `menu` hangs the call up). The call ends by a `hangup` command `hangupAfterMs` after it is
 * established, or earlier if the far end hangs up.
 *
 * The recordings are `sndfile`'s decode-side dump (what the caller heard, at the codec's rate: 8 kHz for G.711,
 * 16 kHz for G.722, 48 kHz stereo for Opus) and its encode-side dump (what the caller sent). They are written as
 * packets are decoded, so sample 0 of the heard recording is the first RTP packet received, not the moment the
 * call was answered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { padWav, readWav, writeWav, type Wav } from './audio.js';
import { freePort, requireTool } from './sipp.js';

export const BARESIP_INSTALL = 'apt-get install -y baresip';
export const BARESIP_MODULE_DIR = '/usr/lib/baresip/modules';

export type BaresipCodec = 'PCMU' | 'PCMA' | 'G722' | 'opus';

/** baresip's names for the codecs in `;audio_codecs=` (G.722 and Opus must be given in full). */
const CODEC_SPEC: Record<BaresipCodec, string> = {
  PCMU: 'PCMU',
  PCMA: 'PCMA',
  G722: 'G722/16000/1',
  opus: 'opus/48000/2',
};

export interface BaresipCallOptions {
  /** Request-URI to dial, e.g. `sip:+15550100001@127.0.0.1:5060`; unset with `answer`. */
  readonly uri?: string;
  /**
   * Be the called phone instead: listen on `sipPort` as `user` (baresip finds the account for an INVITE by its
   * Request-URI user) and answer the first call at once (`answermode=auto`), or, with `ringOnly`, ring (180) and
   * never answer (`answermode=manual`: the call closes when it is cancelled, or at the establish timeout).
   * `onListening` runs once baresip is up: place the call then. The establish timeout counts from there.
   */
  readonly answer?: { readonly sipPort: number; readonly user: string; readonly onListening: () => void; readonly ringOnly?: boolean };
  /** Codecs offered, in preference order; default all four. */
  readonly codecs?: readonly BaresipCodec[];
  /** Mono 16-bit PCM WAV used as the microphone. Its rate becomes `ausrc_srate`. */
  readonly microphone: string;
  /** Hang up this long after the call is established. */
  readonly hangupAfterMs: number;
  /**
   * Press keys during the call: each digit of `digits` (RFC 4733, baresip's `sndcode`), the first `afterMs` after
   * the call is established, then one every 400 ms.
   */
  readonly dtmf?: { readonly afterMs: number; readonly digits: string };
  /** Bound for dialling to established; default 5000. */
  readonly establishTimeoutMs?: number;
  /** Whole-call bound, after which baresip is killed; default `hangupAfterMs + 15000`. */
  readonly timeoutMs?: number;
  /**
   * Media encryption (baresip's `mediaenc` account parameter; loads `srtp.so`): `srtp-mand` offers RTP/SAVP with SDES
   * keys only, `srtp` offers plain RTP with SDES keys (best effort). Composes with any SIP transport option.
   */
  readonly mediaenc?: 'srtp' | 'srtp-mand';
  /** Extra `config` lines (e.g. `opus_bitrate 64000`). */
  readonly extraConfig?: readonly string[];
  /** Keep the temporary directory (config, logs, recordings) and report it in the result. */
  readonly keepFiles?: boolean;
  /**
   * SIP over TLS: the account's transport is TLS (`;transport=tls`; dial a `;transport=tls` URI) and the
   * CA file baresip loads (`sip_cafile`; note: baresip 1.0 does not refuse a server certificate of another CA).
   * `certFile`: a PEM file with baresip's certificate and key (`sip_certificate`), presented as a client
   * certificate (mutual TLS). baresip listens for TLS on sipPort + 1.
   */
  readonly tls?: { readonly caFile: string; readonly certFile?: string };
}

export interface BaresipEvent {
  readonly type: string;
  readonly param?: string;
  /** `performance.now()` when the event was read. */
  readonly atMs: number;
}

export interface BaresipCallResult {
  readonly established: boolean;
  /** The `CALL_CLOSED` reason, e.g. `Connection reset by user` after our hangup. */
  readonly closeReason: string | undefined;
  /** Decoder chosen, as baresip logs it: `PCMU 8000Hz 1ch`. */
  readonly codec: string | undefined;
  /** What the caller heard (decoded), at the codec's rate and channel count. */
  readonly heard: Wav | undefined;
  /** What the caller sent (before encoding), at the codec's rate and channel count. */
  readonly sent: Wav | undefined;
  readonly events: readonly BaresipEvent[];
  /** baresip's stdout and stderr (ANSI colours removed, last 30 000 characters), with its SIP trace. */
  readonly log: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Kept temporary directory, when `keepFiles` is set. */
  readonly dir: string | undefined;
}

/** Place one call with baresip and return what it heard. Never rejects because the call failed: inspect it. */
export async function baresipCall(options: BaresipCallOptions): Promise<BaresipCallResult> {
  // Ports come from freePort(): free when probed, but another test may take one before baresip binds it. Then
  // baresip exits with "Address already in use"; try again with fresh ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await baresipCallOnce(options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.message.includes('Address already in use')) throw err;
    }
  }
}

async function baresipCallOnce(options: BaresipCallOptions): Promise<BaresipCallResult> {
  const bin = requireTool('baresip', BARESIP_INSTALL);
  const dir = await mkdtemp(join(tmpdir(), 'patchbay-baresip-'));
  let child: ChildProcess | undefined;
  let control: Socket | undefined;
  try {
    const microphone = await readWav(options.microphone);
    if (microphone.channels !== 1) throw new Error(`microphone must be mono: ${options.microphone}`);
    const micPath = join(dir, 'microphone.wav');
    await writeWav(micPath, padWav(microphone, 0, options.hangupAfterMs + 5_000));

    const sipPort = options.answer?.sipPort ?? (await freePort('udp'));
    const ctrlPort = await freePort('tcp');
    const rtpBase = 10_000 + 2 * Math.floor(Math.random() * 4_900);
    const recordings = join(dir, 'recordings');
    await mkdir(recordings);
    const config = [
      `module_path ${BARESIP_MODULE_DIR}`,
      'poll_method epoll',
      `sip_listen 127.0.0.1:${sipPort}`,
      'net_interface 127.0.0.1',
      'call_local_timeout 10',
      'call_max_calls 1',
      `audio_source aufile,${micPath}`,
      'audio_player aubridge,patchbay-test',
      'audio_alert aubridge,patchbay-test',
      `ausrc_srate ${microphone.sampleRate}`,
      'ausrc_channels 1',
      'audio_level no',
      `rtp_ports ${rtpBase}-${rtpBase + 19}`,
      'rtcp_mux no',
      'jitter_buffer_delay 1-10',
      'module g711.so',
      'module g722.so',
      'module opus.so',
      'module aufile.so',
      'module aubridge.so',
      ...(options.mediaenc === undefined ? [] : ['module srtp.so']),
      'module sndfile.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${recordings}`,
      ...(options.tls === undefined ? [] : [`sip_cafile ${options.tls.caFile}`]),
      ...(options.tls?.certFile === undefined ? [] : [`sip_certificate ${options.tls.certFile}`]),
      ...(options.extraConfig ?? []),
    ];
    await writeFile(join(dir, 'config'), `${config.join('\n')}\n`);
    const codecs = (options.codecs ?? ['PCMU', 'PCMA', 'G722', 'opus']).map((c) => CODEC_SPEC[c]).join(',');
    const user = options.answer?.user ?? 'patchbay-test';
    const answerMode = options.answer === undefined ? '' : options.answer.ringOnly === true ? ';answermode=manual' : ';answermode=auto';
    const mediaenc = options.mediaenc === undefined ? '' : `;mediaenc=${options.mediaenc}`;
    const transport = options.tls === undefined ? '' : ';transport=tls';
    await writeFile(join(dir, 'accounts'), `<sip:${user}@127.0.0.1${transport}>;regint=0;ptime=20;audio_codecs=${codecs}${answerMode}${mediaenc}\n`);

    const timeoutMs = options.timeoutMs ?? options.hangupAfterMs + 15_000;
    const deadline = performance.now() + timeoutMs;
    const spawned = spawn(bin, ['-s', '-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    let log = '';
    const append = (chunk: string): void => {
      log = (log + chunk.replace(/\x1b\[[0-9;]*m/g, '')).slice(-30_000);
    };
    spawned.stdout.setEncoding('utf8').on('data', append);
    spawned.stderr.setEncoding('utf8').on('data', append);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      spawned.once('close', (code, signal) => resolve({ code, signal }));
    });
    const spawnError = new Promise<never>((_, reject) => spawned.once('error', reject));
    const killTimer = setTimeout(() => spawned.kill('SIGKILL'), timeoutMs);

    const events: BaresipEvent[] = [];
    const waiters = new Set<() => void>();
    const notify = (): void => {
      for (const w of waiters) w();
    };
    /** Resolves with the first event of one of `types`, or undefined at `untilMs` or when baresip exits. */
    const nextEvent = (types: readonly string[], untilMs: number): Promise<BaresipEvent | undefined> =>
      new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const check = (): void => {
          const found = events.find((e) => types.includes(e.type));
          const left = untilMs - performance.now();
          if (found !== undefined || left <= 0 || spawned.exitCode !== null || spawned.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
            return;
          }
          // Timers may fire a little before performance.now() reaches untilMs: re-arm for what is left.
          clearTimeout(timer);
          timer = setTimeout(check, Math.ceil(left));
        };
        waiters.add(check);
        check();
      });
    void exited.then(notify);

    // baresip loads its modules before it listens: seconds on a loaded 2-core CI machine.
    control = await Promise.race([
      connectControl(ctrlPort, Math.min(deadline, performance.now() + 15_000)).catch((err: unknown) => {
        throw new Error(`${err instanceof Error ? err.message : String(err)}; baresip said:\n${log.slice(-2_000)}`, { cause: err });
      }),
      spawnError,
    ]);
    const socket = control;
    let buffer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const parsed = takeNetstring(buffer);
        if (parsed === undefined) break;
        buffer = parsed.rest;
        const message = parseJson(parsed.payload);
        if (message !== undefined && message['event'] === true && typeof message['type'] === 'string') {
          const param = typeof message['param'] === 'string' ? message['param'] : undefined;
          events.push({ type: message['type'], ...(param === undefined ? {} : { param }), atMs: performance.now() });
          notify();
        }
      }
    });
    socket.on('error', () => {
      // baresip closing the control socket as it exits; the process exit is what we wait on
    });
    const command = (name: string, params?: string): void => {
      const json = JSON.stringify({ command: name, ...(params === undefined ? {} : { params }), token: name });
      socket.write(`${Buffer.byteLength(json)}:${json},`);
    };

    if (options.answer) options.answer.onListening();
    else if (options.uri !== undefined) command('dial', options.uri);
    else throw new Error('baresipCall needs a uri to dial, or answer');
    const establishBy = Math.min(deadline, performance.now() + (options.establishTimeoutMs ?? 5_000));
    const first = await nextEvent(['CALL_ESTABLISHED', 'CALL_CLOSED'], establishBy);
    const established = first?.type === 'CALL_ESTABLISHED';
    if (established) {
      const presses = [...(options.dtmf?.digits ?? '')].map((digit, i) =>
        setTimeout(() => command('sndcode', digit), Math.max(0, first.atMs + (options.dtmf?.afterMs ?? 0) + i * 400 - performance.now())),
      );
      void exited.then(() => presses.forEach((t) => clearTimeout(t)));
      const hangupAt = Math.min(deadline, first.atMs + options.hangupAfterMs);
      const early = await nextEvent(['CALL_CLOSED'], hangupAt);
      if (early === undefined) command('hangup');
    } else if (first === undefined) {
      command('hangup');
    }
    const closed = await nextEvent(['CALL_CLOSED'], Math.min(deadline, performance.now() + 3_000));
    // The recordings are complete once the call is closed (sndfile closes its files with the call).
    command('quit');
    const quitBy = setTimeout(() => spawned.kill('SIGKILL'), Math.max(0, Math.min(2_000, deadline - performance.now())));
    const { code, signal } = await exited.finally(() => {
      clearTimeout(quitBy);
      clearTimeout(killTimer);
    });

    const files = await readdir(recordings);
    const heardFile = files.find((f) => f.endsWith('-dec.wav'));
    const sentFile = files.find((f) => f.endsWith('-enc.wav'));
    const codec = /Set audio decoder: (.+)$/m.exec(log)?.[1]?.trim();
    return {
      established,
      closeReason: closed?.param,
      codec,
      heard: heardFile === undefined ? undefined : await readWav(join(recordings, heardFile)),
      sent: sentFile === undefined ? undefined : await readWav(join(recordings, sentFile)),
      events,
      log,
      exitCode: code,
      signal,
      dir: options.keepFiles === true ? dir : undefined,
    };
  } finally {
    control?.destroy();
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (options.keepFiles !== true) await rm(dir, { recursive: true, force: true });
  }
}

/** A short account of a call for assertion messages. */
export function describeCall(result: BaresipCallResult): string {
  return [
    `baresip exit=${String(result.exitCode)} signal=${String(result.signal)} established=${result.established}`,
    `codec=${result.codec ?? '-'} close=${result.closeReason ?? '-'}`,
    `events: ${result.events.map((e) => e.type).join(' ')}`,
    `log (tail):\n${result.log.slice(-6_000)}`,
  ].join('\n');
}

/** Connect to ctrl_tcp, retrying every 20 ms until it listens or `untilMs` passes. */
async function connectControl(port: number, untilMs: number): Promise<Socket> {
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.removeAllListeners('error');
          resolve(socket);
        });
        socket.once('error', (err) => {
          socket.destroy();
          reject(err);
        });
      });
    } catch (err) {
      if (performance.now() >= untilMs) {
        throw new Error(`baresip ctrl_tcp on 127.0.0.1:${port} did not accept connections`, { cause: err });
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** `len:payload,` netstring framing; undefined until a whole one is buffered. */
function takeNetstring(buffer: string): { payload: string; rest: string } | undefined {
  const match = /^(\d+):/.exec(buffer);
  if (match === null) return undefined;
  const head = match[0].length;
  const length = Number(match[1]);
  // ctrl_tcp's lengths are bytes; the JSON it sends is ASCII, so bytes and UTF-16 units agree.
  if (buffer.length < head + length + 1) return undefined;
  return { payload: buffer.slice(head, head + length), rest: buffer.slice(head + length + 1) };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Two phones: `answerer` listens on `sipPort` as `user` and answers (a person, a supervisor); once it listens the
 * caller dials (`caller.uri`) and `onDialled` runs. Resolves when both calls are over, with what each heard; never
 * rejects because a call failed (inspect `established`).
 */
export async function callAnswered(o: {
  readonly answerer: Omit<BaresipCallOptions, 'answer' | 'uri'> & { readonly sipPort: number; readonly user: string };
  readonly caller: Omit<BaresipCallOptions, 'answer'> & { readonly uri: string };
  readonly onDialled?: () => void;
}): Promise<{ caller: BaresipCallResult; answerer: BaresipCallResult }> {
  const { sipPort, user, ...answererOptions } = o.answerer;
  let caller: Promise<BaresipCallResult> | undefined;
  const answerer = await baresipCall({
    ...answererOptions,
    answer: {
      sipPort,
      user,
      onListening: () => {
        caller = baresipCall(o.caller);
        o.onDialled?.();
      },
    },
  });
  if (caller === undefined) throw new Error('the caller never dialled');
  return { caller: await caller, answerer };
}
