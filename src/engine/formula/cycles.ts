/**
 * Finds a cycle among composite KPI definitions: `graph` maps a definition id to the ids its
 * `{ type: "kpi", kpiDefinitionId }` inputs use. Returns the cycle as a closed path, its first id
 * repeated at the end ([4, 4] for a self-reference, [1, 2, 3, 1]), or null. Ids that appear only as
 * targets have no edges. Iterative, so deep chains cannot overflow the stack; deterministic for a
 * given insertion order, so the message the service builds from it is stable.
 */
export function findCycle(graph: ReadonlyMap<number, readonly number[]>): number[] | null {
  const ON_PATH = 1;
  const DONE = 2;
  const state = new Map<number, typeof ON_PATH | typeof DONE>();
  for (const root of graph.keys()) {
    if (state.has(root)) continue;
    // The stack is the current path, each entry with the index of its next edge to follow.
    const stack: { id: number; next: number }[] = [{ id: root, next: 0 }];
    state.set(root, ON_PATH);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const edges = graph.get(top.id) ?? [];
      if (top.next >= edges.length) {
        state.set(top.id, DONE);
        stack.pop();
        continue;
      }
      const target = edges[top.next++]!;
      const seen = state.get(target);
      if (seen === ON_PATH) {
        const from = stack.findIndex((entry) => entry.id === target);
        return [...stack.slice(from).map((entry) => entry.id), target];
      }
      if (seen === undefined) {
        state.set(target, ON_PATH);
        stack.push({ id: target, next: 0 });
      }
    }
  }
  return null;
}
