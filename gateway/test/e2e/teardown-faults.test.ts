/**
 * Teardown is total (issue 11): a throw at any step of a call's end — the 2xx retransmitter, the transfer, the
 * media plane's close, the call's media, its RTP endpoint, its agent link, its ports, the plane's `ended` report,
 * the observer — still frees the call's slot, its ports and its agent, is logged and counted, and every other call
 * goes on. And a throw inside one call's media (a clock tick's send, an RTP packet, an agent event) ends that call
 * with reason `error`, never the process.
 *
 * Each failure is injected by wrapping one method (on its class's prototype) so that its next call does its work
 * and then throws.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InProcessLink } from '../../src/agent/in-process-link.js';
import { AnswerRetransmitter } from '../../src/call/answer-retransmitter.js';
import { CallTransfers } from '../../src/call/call-transfer.js';
import { AgentControl } from '../../src/media/agent-control.js';
import { CallMedia } from '../../src/media/call-media.js';
import { PortPool, type MediaPorts } from '../../src/media/port-pool.js';
import { RtpEndpoint } from '../../src/media/rtp-endpoint.js';
import { LocalMediaPlane } from '../../src/media-plane/local-plane.js';
import { CallTelemetry } from '../../src/telemetry/call-telemetry.js';
import { startTestGateway, waitFor, type TestGateway } from '../helpers/gateway.js';
import { pcmuOffer, RawSipPeer } from '../helpers/raw-sip-peer.js';
import { SipCaller } from '../helpers/sip-caller.js';
import { sine } from '../helpers/tones.js';

interface Injection {
  /** The wrapped method has thrown (once). */
  readonly fired: boolean;
  restore(): void;
}

/** From now on, the next call of `proto[method]` (for which `when` holds) runs it and then throws. */
function injectThrow(proto: object, method: string, when: (self: unknown) => boolean = () => true, error: () => Error = () => new Error(`injected: ${method} threw`)): Injection {
  const original: unknown = Reflect.get(proto, method);
  if (typeof original !== 'function') throw new Error(`${method} is not a method`);
  let fired = false;
  Reflect.set(proto, method, function (this: unknown, ...args: unknown[]): unknown {
    if (fired || !when(this)) return Reflect.apply(original, this, args);
    fired = true;
    Reflect.apply(original, this, args);
    throw error();
  });
  return {
    get fired() {
      return fired;
    },
    restore: () => Reflect.set(proto, method, original),
  };
}

/** `media` is a call's media whose RTP goes to `port` (the call under test, not the bystander's). */
function mediaSendsTo(media: unknown, port: number): boolean {
  if (!(media instanceof CallMedia)) return false;
  const endpoint: unknown = Reflect.get(media, 'endpoint');
  return endpoint instanceof RtpEndpoint && endpoint.destination.port === port;
}

/** Calls' ports, wrapped so that `armPorts()` makes the next `close()` free them and then throw. */
let portsArmed = false;
let portsFired = false;
const allocate = PortPool.prototype.allocate;
function armPorts(): Injection {
  portsArmed = true;
  portsFired = false;
  return {
    get fired() {
      return portsFired;
    },
    restore: () => {
      portsArmed = false;
    },
  };
}

let gw: TestGateway;
let bystander: SipCaller;
let peer: RawSipPeer;
let rtpSink: Socket;
let injection: Injection | undefined;

async function stats(): Promise<Awaited<ReturnType<TestGateway['gateway']['stats']>>> {
  return gw.gateway.stats();
}

/** The bystander call is up and the gateway's RTP keeps reaching it. */
async function bystanderGoesOn(): Promise<void> {
  expect(bystander.hasEnded).toBe(false);
  const before = bystander.received.length;
  await waitFor(() => bystander.received.length >= before + 10, 3_000, () => `bystander got ${bystander.received.length - before} packets`);
}

/** Only the bystander's call and its one port pair are left. */
async function onlyBystanderLeft(): Promise<void> {
  await waitFor(async () => gw.gateway.activeCalls() === 1 && (await stats()).media.portsInUse === 1, 3_000, () => `activeCalls ${gw.gateway.activeCalls()}`);
}

beforeAll(async () => {
  PortPool.prototype.allocate = async function (this: PortPool): Promise<MediaPorts> {
    const ports = await allocate.call(this);
    const close = (): void => {
      ports.close();
      if (!portsArmed) return;
      portsArmed = false;
      portsFired = true;
      throw new Error('injected: ports close threw');
    };
    return new Proxy(ports, { get: (target, key) => (key === 'close' ? close : Reflect.get(target, key)) });
  };
  gw = await startTestGateway({ numbers: { '*': { agent: 'echo' } } });
  bystander = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '1000' });
  peer = await RawSipPeer.open(gw.host, gw.sipPort);
  rtpSink = createSocket('udp4');
  rtpSink.on('message', () => undefined);
  await new Promise<void>((resolve) => rtpSink.bind(0, '127.0.0.1', () => resolve()));
});

afterEach(() => {
  injection?.restore();
  injection = undefined;
});

afterAll(async () => {
  PortPool.prototype.allocate = allocate;
  expect(await bystander.bye()).toBe(200);
  bystander.close();
  peer.close();
  rtpSink.close();
  await gw.waitForIdle();
  expect((await stats()).media.portsInUse).toBe(0);
  await gw.close();
});

describe('a throw at one step of a call’s end', () => {
  it.each([
    ['the 2xx retransmitter (no ACK yet)', () => injectThrow(AnswerRetransmitter.prototype, 'stop')],
    ['the transfer bookkeeping', () => injectThrow(CallTransfers.prototype, 'ended')],
    ['the media plane’s close', () => injectThrow(LocalMediaPlane.prototype, 'close')],
    ['the call’s media close', () => injectThrow(CallMedia.prototype, 'close')],
    ['the RTP endpoint close', () => injectThrow(RtpEndpoint.prototype, 'close')],
    ['the RTCP BYE (dgram.send refusing the port)', () => injectThrow(RtpEndpoint.prototype, 'sendRtcp', () => true, () => new RangeError('Port should be > 0 and < 65536'))],
    ['the agent link close', () => injectThrow(InProcessLink.prototype, 'close')],
    ['the ports close', armPorts],
    ['the plane’s ended report', () => injectThrow(CallTelemetry.prototype, 'quality')],
    ['the observer', () => injectThrow(CallTelemetry.prototype, 'ended')],
  ])('%s: the slot, ports and agent are freed, the error counted, the others go on', async (_step, inject) => {
    const before = await stats();
    const call = await peer.invite('1000', pcmuOffer(rtpSink.address().port));
    expect(call.status).toBe(200);
    expect(gw.gateway.activeCalls()).toBe(2);
    injection = inject();
    expect(await peer.bye(call)).toBe(200); // before the ACK: the 2xx is still being retransmitted
    expect(injection.fired, 'the injected failure happened').toBe(true);
    await onlyBystanderLeft();
    const after = await stats();
    expect(after.teardownErrors - before.teardownErrors).toBe(1);
    expect(after.endReasons['remote-bye']).toBe((before.endReasons['remote-bye'] ?? 0) + 1);
    expect(after.rejected['500']).toBeUndefined();
    await bystanderGoesOn();
    // And the next call is admitted on the freed resources.
    const next = await peer.invite('1000', pcmuOffer(rtpSink.address().port));
    expect(next.status).toBe(200);
    expect(await peer.bye(next)).toBe(200);
    await onlyBystanderLeft();
  });
});

describe('a throw inside one call’s media ends that call, not the process', () => {
  it.each([
    ['a clock tick’s RTP send (dgram.send throws synchronously)', (port: number) =>
      injectThrow(RtpEndpoint.prototype, 'sendRtp', (self) => self instanceof RtpEndpoint && self.destination.port === port, () => new RangeError('Port should be > 0 and < 65536'))],
    ['an RTP packet from the caller', (port: number) => injectThrow(CallMedia.prototype, 'receivePacket', (self) => mediaSendsTo(self, port))],
    // Only this caller's agent: the bystander's echo agent may send audio too, and its call must go on.
    ['the agent’s audio (an agent link event)', (port: number) =>
      injectThrow(AgentControl.prototype, 'onAudio', (self) => self instanceof AgentControl && mediaSendsTo(Reflect.get(self, 'media'), port))],
  ])('%s', async (_where, inject) => {
    const before = await stats();
    const caller = await SipCaller.call({ host: gw.host, port: gw.sipPort, to: '1000' });
    try {
      injection = inject(caller.rtpPort);
      void caller.sendAudio(sine(8_000, 440, -20, 2_000));
      await waitFor(() => caller.byeAtMs > 0, 5_000, () => 'no BYE from the gateway');
      expect(injection.fired).toBe(true);
      await onlyBystanderLeft();
      const after = await stats();
      expect(after.endReasons['error']).toBe((before.endReasons['error'] ?? 0) + 1);
      await bystanderGoesOn();
    } finally {
      caller.close();
    }
  });
});
