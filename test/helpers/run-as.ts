import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** runuser, which runs a command as another user; programs such as initdb refuse to run as root. */
export const RUNUSER = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((path) => existsSync(path));

export const isRoot = () => process.getuid?.() === 0;

/** The uid and gid of a user of this machine; undefined when there is none. */
export function userIds(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }));
    return { uid, gid };
  } catch {
    return undefined;
  }
}
