import { describe, expect, it } from 'vitest';
import { toolOptions } from '../options.js';
import { toolAction, toolDefinitions } from './tools.js';

const targets = { sales: '+15550100099', 'front desk': 'sip:desk@pbx.example' };
const all = { ...toolOptions.parse({}), transferTargets: targets };
const none = { ...toolOptions.parse({ sendDtmf: false }), transferTargets: {} };
const call = (name: string, args: unknown) => ({ id: 'c1', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) });

describe('tools', () => {
  it('offers only the tools the options enable; transfer targets as an enum', () => {
    expect(toolDefinitions(none).map((t) => t.function.name)).toEqual(['end_call']);
    expect(toolDefinitions({ ...all, transferCall: false, warmTransfer: false }).map((t) => t.function.name)).toEqual(['end_call', 'send_dtmf']);
    const defs = toolDefinitions(all);
    expect(defs.map((t) => t.function.name)).toEqual(['end_call', 'transfer_call', 'warm_transfer', 'send_dtmf']);
    expect(JSON.stringify(defs[1]?.function.parameters)).toContain('"enum":["sales","front desk"]');
    expect(JSON.stringify(defs)).not.toContain('+15550100099');
  });

  it('maps calls to actions', () => {
    expect(toolAction(call('end_call', {}), all)).toEqual({ kind: 'hangup', reason: 'goodbye' });
    expect(toolAction(call('end_call', ''), all)).toEqual({ kind: 'hangup', reason: 'goodbye' });
    expect(toolAction(call('end_call', { reason: 'caller is done' }), all)).toEqual({ kind: 'hangup', reason: 'caller is done' });
    expect(toolAction(call('transfer_call', { target: 'front desk' }), all)).toEqual({ kind: 'transfer', target: 'sip:desk@pbx.example' });
    expect(toolAction(call('send_dtmf', { digits: '12#*A' }), all)).toEqual({ kind: 'dtmf', digits: '12#*A' });
    expect(toolAction(call('warm_transfer', { target: 'sales', summary: ' Anna, parcel. ' }), all)).toEqual({ kind: 'consult', target: '+15550100099', summary: 'Anna, parcel.' });
    expect(toolAction(call('warm_transfer', { target: 'sales' }), all)).toEqual({ kind: 'invalid', error: 'summary must say who is calling and why' });
    expect(toolAction(call('warm_transfer', { target: '+19005550100', summary: 'x' }), all)).toMatchObject({ kind: 'invalid' });
  });

  it('refuses targets off the allow-list, bad digits, unknown or disabled tools, and non-object arguments', () => {
    expect(toolAction(call('transfer_call', { target: '+19005550000' }), all)).toEqual({ kind: 'invalid', error: 'target must be one of: sales, front desk' });
    expect(toolAction(call('transfer_call', { target: 'toString' }), all).kind).toBe('invalid');
    expect(toolAction(call('send_dtmf', { digits: '12x' }), all).kind).toBe('invalid');
    expect(toolAction(call('send_dtmf', { digits: '1'.repeat(65) }), all).kind).toBe('invalid');
    expect(toolAction(call('format_disk', {}), all).kind).toBe('invalid');
    expect(toolAction(call('send_dtmf', { digits: '1' }), none).kind).toBe('invalid');
    expect(toolAction(call('end_call', '[1]'), all).kind).toBe('invalid');
    expect(toolAction(call('end_call', '{not json'), all).kind).toBe('invalid');
  });
});
