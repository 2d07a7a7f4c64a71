/** What the numbers were measured on. */
import os from 'node:os';

export interface MachineInfo {
  os: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  /** 1-minute load average when the run started: a busy machine gives lower, noisier numbers. */
  loadAverage1m: number;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} (${os.platform()}/${os.arch()})`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}
