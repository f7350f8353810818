/** The machine a result was measured on. */
import { cpus, release, totalmem, type } from 'node:os';
import type { MachineInfo } from './report/types.js';

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${type()} ${release()}`,
  };
}
