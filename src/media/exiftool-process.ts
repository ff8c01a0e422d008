/**
 * exiftool under the tools' resource limits and ending with its process. exiftool-vendored
 * keeps long-lived perl processes (`-stay_open`), started by a process factory it lets us
 * replace: ours starts the same command through setpriv and prlimit (toolCommand), so each of
 * them runs with the address space and file size limits and is killed by the kernel when its
 * worker dies: exiftool does not exit when its stdin closes, so a worker killed outright would
 * leave its pool running for good. Not CPU time: the kernel counts it over a process's life,
 * hundreds of files for one exiftool, and one file's time is bounded by the task timeout
 * already (perl runs on one thread).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { DefaultExiftoolArgs, exiftoolPath, type ExifToolOptions } from 'exiftool-vendored';
import { toolCommand, toolLimits, type ToolLimits } from './run.js';

/** Options for `new ExifTool({...})` that start each exiftool process under `limits` (default: the process-wide ones). */
export function exiftoolUnderLimits(limits: ToolLimits = toolLimits()): Pick<ExifToolOptions, 'processFactory' | 'exiftoolArgs'> {
  const { memoryBytes, fileBytes } = limits;
  return {
    exiftoolArgs: [...DefaultExiftoolArgs],
    processFactory: async (): Promise<ChildProcess> => {
      const [program, ...rest] = toolCommand(await exiftoolPath(), { memoryBytes, fileBytes });
      // as exiftool-vendored spawns it: no shell, no detached child, a fixed locale
      const env = { PATH: process.env.PATH, LANG: 'C', ...(process.env.EXIFTOOL_HOME ? { EXIFTOOL_HOME: process.env.EXIFTOOL_HOME } : {}) };
      return spawn(program!, [...rest, ...DefaultExiftoolArgs], { stdio: 'pipe', shell: false, detached: false, env });
    },
  };
}
