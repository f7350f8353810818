/**
 * `--srtp off|aes-cm|gcm|all`: the same fixed inbound load with the load generator offering plain `RTP/AVP` or
 * `RTP/SAVP` with one suite (a fresh SDES key per call, every packet protected and unprotected by the gateway's own
 * SRTP library at the bench's end). `all` runs off, AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM back to back, each on a
 * fresh gateway with the same config (the gateway's default SRTP policy, `optional`: it answers what is offered) and
 * records off (`database.enabled: false`), so the difference between runs is SRTP alone.
 */
import { loadTarget } from './direction-run.js';
import { startGateway, type GatewayLaunch, type GatewayStats } from './gateway-process.js';
import { LoadGenerator } from './load/load-generator.js';
import { suiteOf, type BenchSrtpMode } from './load/srtp-offer.js';
import { runPhase, type PhaseOptions, type PhaseResult } from './run-phase.js';

export interface SrtpRun {
  readonly mode: BenchSrtpMode;
  readonly phase: PhaseResult;
  readonly stats: GatewayStats | undefined;
  /** The gateway's SRTP refusals over the run (`/stats` media.srtpFailures), when it reports them. */
  readonly gatewayFailures: Readonly<Record<string, number>> | undefined;
}

export async function runSrtp(
  mode: BenchSrtpMode,
  launch: Omit<GatewayLaunch, 'records' | 'outbound'>,
  options: PhaseOptions,
  log: (line: string) => void,
): Promise<SrtpRun> {
  const gateway = await startGateway({ ...launch, records: { mode: 'off' } });
  try {
    const suite = suiteOf(mode);
    log(`gateway pid ${gateway.child.pid} (srtp ${mode}${suite === undefined ? '' : `: ${suite}`}): SIP udp 127.0.0.1:${gateway.sipPort}, HTTP ${gateway.httpPort}`);
    const target = { ...loadTarget(gateway.sipPort, launch.codec), ...(suite === undefined ? {} : { srtp: suite }) };
    const phase = await runPhase(() => LoadGenerator.create(target), gateway.child.pid, options, log);
    const stats = await gateway.stats();
    const failures = stats?.media?.['srtpFailures'];
    const gatewayFailures = typeof failures === 'object' && failures !== null
      ? Object.fromEntries(Object.entries(failures).filter((e): e is [string, number] => typeof e[1] === 'number'))
      : undefined;
    return { mode, phase, stats, gatewayFailures };
  } finally {
    await gateway.child.stop();
  }
}
