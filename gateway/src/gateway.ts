/**
 * Assembles a running gateway from a validated Config: SIP stack, call controller, media port pool, HTTP.
 * `npm start` (main.ts) and the tests both come through here.
 */
import type { Logger } from 'pino';
import { CallController, type CallStats } from './call/call-controller.js';
import type { Config } from './config.js';
import { createHttpServer } from './http/server.js';
import { silentLogger } from './logger.js';
import { loadDemoPrompts } from '@patchbay/agents';
import { loadResampler } from './media/audio/resampler.js';
import { loadSilero, loadVad } from './media/vad/index.js';
import { MediaClock } from './media/media-clock.js';
import { PortPool } from './media/port-pool.js';
import { HopMetrics } from './metrics/hop-metrics.js';
import { SipStack } from './sip/stack.js';

export interface RunningGateway {
  readonly sipPort: number;
  readonly httpPort: number;
  activeCalls(): number;
  stats(): CallStats & {
    activeCalls: number;
    sip: SipStack['stats'];
    hops: ReturnType<HopMetrics['snapshot']>;
    media: { clockLateTicks: number; portsInUse: number };
  };
  /** Hangs up every call, stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
}

export async function startGateway(config: Config, options: GatewayOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? silentLogger;
  await loadResampler(); // compiles the wasm once
  await loadVad();
  // Silero (optional dependency) only when some number asks for it, so a missing install fails at start, clearly.
  const silero = usesSilero(config) ? await loadSilero() : undefined;
  loadDemoPrompts(); // reads the built-in prompts now, not on the first call
  const stack = new SipStack({
    host: config.sip.host,
    port: config.sip.port,
    udp: config.sip.udp,
    tcp: config.sip.tcp,
    maxMessageBytes: config.sip.maxMessageBytes,
    maxTransactions: config.sip.maxTransactions,
    timers: config.sip.timers,
    logger: logger.child({ layer: 'sip' }),
  });
  const bound = await stack.listen();
  const sipPort = bound.udpPort ?? bound.tcpPort ?? config.sip.port;
  const mediaHost = config.sip.host;
  const ports = new PortPool({ host: mediaHost, portMin: config.media.portMin, portMax: config.media.portMax, logger });
  // 2 ms ticks: calls start on one of ten phases of their 20 ms period, so each tick serves a tenth of them instead of
  // half (the single-loop queueing behind the uplink processing p99); timer wake-ups stay at 500 a second in all.
  const clock = new MediaClock({ tickMs: 2, onError: (err) => logger.error({ err }, 'media tick failed') });
  const hops = new HopMetrics();
  const controller = new CallController({ config, stack, ports, clock, hops, silero, sipPort, logger });
  stack.onRequest = (tx) => controller.handleRequest(tx);
  stack.onAck = (ack) => controller.handleAck(ack);

  let listening = true;
  const statsNow = (options: { reset: boolean } = { reset: false }) => {
    const snapshot = {
      activeCalls: controller.activeCalls,
      ...structuredClone(controller.stats),
      sip: { ...stack.stats },
      hops: hops.snapshot(),
      media: { clockLateTicks: clock.lateTicks, portsInUse: ports.allocated },
    };
    if (options.reset) hops.reset();
    return snapshot;
  };
  const http = createHttpServer({ activeCalls: () => controller.activeCalls, sipListening: () => listening, stats: statsNow });
  let httpPort: number;
  try {
    await http.listen({ host: config.http.host, port: config.http.port });
    const address = http.server.address();
    httpPort = typeof address === 'object' && address !== null ? address.port : config.http.port;
  } catch (err) {
    await stack.close();
    throw err;
  }
  logger.info({ sipPort, httpPort, udp: config.sip.udp, tcp: config.sip.tcp }, 'gateway listening');

  let closing: Promise<void> | undefined;
  return {
    sipPort,
    httpPort,
    activeCalls: () => controller.activeCalls,
    stats: () => statsNow(),
    close: () => {
      closing ??= (async () => {
        controller.hangupAll('shutdown');
        clock.close();
        listening = false;
        await http.close();
        await stack.close();
      })();
      return closing;
    },
  };
}

function usesSilero(config: Config): boolean {
  return config.media.speech.confirm === 'silero' || Object.values(config.numbers).some((n) => n.speech?.confirm === 'silero');
}
