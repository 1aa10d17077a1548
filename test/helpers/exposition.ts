/**
 * Reads Prometheus exposition text: the value of the sample with exactly these labels (in any
 * order), or undefined when there is none.
 */
export function sampleValue(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
  for (const line of body.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [
      key!,
      value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c)),
    ]);
    if (JSON.stringify(found.sort(([a], [b]) => a!.localeCompare(b!))) === wanted) return Number(match[3]);
  }
  return undefined;
}
