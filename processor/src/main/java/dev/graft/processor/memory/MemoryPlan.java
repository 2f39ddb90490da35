package dev.graft.processor.memory;

import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Node;
import dev.graft.processor.schedule.EntrySchedule;
import java.util.List;
import java.util.Map;

/**
 * Where every value of one entry schedule lives, and what is copied to the caller's arrays at
 * the end.
 *
 * @param schedule the kernels this plan serves
 * @param storage the storage of every value a kernel reads or writes (reshapes share their
 *     input's storage)
 * @param floatSlots for each float workspace slot, the distinct sizes of the values it holds; the
 *     slot must be as large as the largest of them for the dims of the call
 * @param intSlots the same for int workspace slots
 * @param copies roles (result, gradients) whose value lives elsewhere and is copied at the end
 */
public record MemoryPlan(EntrySchedule schedule, Map<Node, Storage> storage, List<List<Dim>> floatSlots,
    List<List<Dim>> intSlots, List<Copy> copies) {
  public MemoryPlan {
    storage = Map.copyOf(storage);
    floatSlots = floatSlots.stream().map(List::copyOf).toList();
    intSlots = intSlots.stream().map(List::copyOf).toList();
    copies = List.copyOf(copies);
  }

  /** A final copy of {@code value} into a caller's array. */
  public record Copy(Node value, Storage target) {}

  public Storage of(Node n) {
    Storage s = storage.get(n);
    if (s == null) throw new IllegalStateException("no storage planned for " + n);
    return s;
  }
}
