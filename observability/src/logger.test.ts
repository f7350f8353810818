import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions } from './logger.js';
import { startTelemetry } from './telemetry.js';

function capture(options: LoggerOptions = {}): { lines: () => Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', ...options, destination });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, logger };
}

const PHONE = '+15551234567';

describe('createLogger', () => {
  it('redacts phone numbers and transcripts by default, at the top level and one object down', () => {
    const { lines, logger } = capture({ base: { service: 'patchbay-gateway' } });
    logger.info(
      { callId: 'c1', from: PHONE, to: `sip:${PHONE}@example.com`, number: PHONE, caller: PHONE, callee: PHONE, transcript: 'my card is 4111', text: 'hi', call: { from: PHONE, to: PHONE, transcript: 'secret', codec: 'PCMU' }, agent: { text: 'hello Bob', prompt: 'You are…' } },
      'call started',
    );
    const [line] = lines();
    expect(line).toMatchObject({
      msg: 'call started',
      service: 'patchbay-gateway',
      callId: 'c1',
      from: '[redacted]',
      to: '[redacted]',
      number: '[redacted]',
      caller: '[redacted]',
      callee: '[redacted]',
      transcript: '[redacted]',
      text: '[redacted]',
      call: { from: '[redacted]', to: '[redacted]', transcript: '[redacted]', codec: 'PCMU' },
      agent: { text: '[redacted]', prompt: '[redacted]' },
    });
    expect(JSON.stringify(lines())).not.toContain('5551234567');
    expect(JSON.stringify(lines())).not.toContain('4111');
  });

  it('redacts child-logger bindings too', () => {
    const { lines, logger } = capture();
    logger.child({ callId: 'c2', from: PHONE }).warn('rtp timeout');
    expect(lines()[0]).toMatchObject({ callId: 'c2', from: '[redacted]', msg: 'rtp timeout' });
  });

  it('keeps everything with redact: false (the debugging switch)', () => {
    const { lines, logger } = capture({ redact: false });
    logger.info({ from: PHONE, call: { transcript: 'hello' } }, 'debug');
    expect(lines()[0]).toMatchObject({ from: PHONE, call: { transcript: 'hello' } });
  });

  it('respects the level', () => {
    const { lines, logger } = capture({ level: 'warn' });
    logger.info('quiet');
    logger.error('loud');
    expect(lines().map((l) => l['msg'])).toEqual(['loud']);
  });

  it('adds trace_id and span_id inside a recording span, and nothing outside', async () => {
    const telemetry = startTelemetry({ serviceName: 't', serviceVersion: '0', env: {}, exporter: new InMemorySpanExporter() });
    try {
      const { lines, logger } = capture();
      logger.info('before');
      let ids: { traceId: string; spanId: string } | undefined;
      telemetry.tracer.startActiveSpan('call', (span) => {
        ids = span.spanContext();
        logger.info('inside');
        span.end();
      });
      const [before, inside] = lines();
      expect(before).not.toHaveProperty('trace_id');
      expect(inside).toMatchObject({ trace_id: ids?.traceId, span_id: ids?.spanId });
    } finally {
      await telemetry.shutdown();
    }
  });
});
