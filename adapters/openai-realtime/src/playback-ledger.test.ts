import { describe, expect, it } from 'vitest';
import { PlaybackLedger, truncationsAt } from './playback-ledger.js';

const ms = (n: number): number => n * 24;

describe('PlaybackLedger', () => {
  it("protocol.md's worked timeline: greeting 1,000 ms played, question cut at turn position 1,520 → 520 ms", () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('greeting', ms(1_000));
    ledger.placeMark('greeting');
    ledger.addAudio('question', ms(2_000));
    ledger.placeMark('question');
    expect(ledger.markReturned('greeting', 'played')).toBe(true);
    expect(truncationsAt(ledger.endTurn(), 1_520)).toEqual([{ itemId: 'question', audioEndMs: 520 }]);
  });

  it('maps a cut inside the first item: that item to the cut, the later (never heard) item to 0', () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('a', ms(1_000));
    ledger.addAudio('b', ms(2_000));
    expect(truncationsAt(ledger.endTurn(), 400)).toEqual([
      { itemId: 'a', audioEndMs: 400 },
      { itemId: 'b', audioEndMs: 0 },
    ]);
  });

  it('needs no truncation when everything forwarded was heard', () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('a', ms(1_000));
    ledger.addAudio('b', ms(500));
    expect(truncationsAt(ledger.endTurn(), 1_500)).toEqual([]);
  });

  it('never exceeds what was generated, even for a playedMs past it (and floors fractional ms)', () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('a', 1_000); // 41.67 ms
    ledger.addAudio('b', 2_410); // 100.4 ms
    const cuts = truncationsAt(ledger.endTurn(), 100);
    expect(cuts).toEqual([{ itemId: 'b', audioEndMs: 58 }]); // 2,400 − 1,000 samples heard of b = 58.3 ms
    for (const playedMs of [0, 41, 42, 141, 142, 10_000]) {
      const ledger2 = new PlaybackLedger();
      ledger2.addAudio('a', 1_000);
      ledger2.addAudio('b', 2_410);
      for (const cut of truncationsAt(ledger2.endTurn(), playedMs)) {
        const generated = cut.itemId === 'a' ? 1_000 : 2_410;
        expect(cut.audioEndMs).toBeLessThanOrEqual(Math.floor(generated / 24));
      }
    }
  });

  it('merges consecutive deltas of one item, and a new turn starts at 0 after endTurn', () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('a', ms(100));
    ledger.addAudio('a', ms(100));
    expect(ledger.sentMs).toBe(200);
    const first = ledger.endTurn();
    expect(first.turnId).toBe('turn-1');
    expect(first.segments).toEqual([{ itemId: 'a', startSample: 0, samples: ms(200) }]);
    ledger.addAudio('b', ms(300));
    expect(ledger.turnId).toBe('turn-2');
    expect(truncationsAt(ledger.endTurn(), 100)).toEqual([{ itemId: 'b', audioEndMs: 100 }]);
  });

  it('a played mark confirms audio and drops played items; a cleared mark or one of an old turn does not', () => {
    const ledger = new PlaybackLedger();
    ledger.addAudio('a', ms(500));
    ledger.placeMark('m1');
    ledger.addAudio('b', ms(500));
    ledger.placeMark('m2');
    expect(ledger.unconfirmedMs).toBe(1_000);
    expect(ledger.markReturned('m2', 'cleared')).toBe(true);
    expect(ledger.hasUnplayedAudio).toBe(true);
    expect(ledger.markReturned('m1', 'played')).toBe(true);
    expect(ledger.unconfirmedMs).toBe(500);
    expect(ledger.markReturned('unknown', 'played')).toBe(false);
    ledger.placeMark('m3');
    const turn = ledger.endTurn();
    expect(turn.segments.map((s) => s.itemId)).toEqual(['b']);
    ledger.addAudio('c', ms(100));
    ledger.markReturned('m3', 'played'); // of turn 1: says nothing about turn 2
    expect(ledger.hasUnplayedAudio).toBe(true);
  });

  it('keeps at most 64 segments (oldest forgotten and counted)', () => {
    const ledger = new PlaybackLedger();
    for (let i = 0; i < 70; i++) ledger.addAudio(`i${i}`, 24);
    expect(ledger.forgottenSegments).toBe(6);
    expect(ledger.endTurn().segments).toHaveLength(64);
  });
});
