package dev.graft.processor.memory;

import dev.graft.dsl.DType;
import dev.graft.processor.ir.Dim;
import dev.graft.processor.ir.Node;
import dev.graft.processor.ir.Op;
import dev.graft.processor.schedule.EntrySchedule;
import dev.graft.processor.schedule.Kernel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Liveness over the kernel order and workspace reuse. The result and gradients are written
 * straight into the caller's arrays (a reshaped root lends its array to the value it aliases);
 * every other stored value gets a workspace slot that it shares with values whose lifetimes do
 * not overlap. A value's lifetime runs from the kernel that writes it to the last kernel that
 * reads it (through any reshape); a slot is reused only by a kernel after that, so no kernel ever
 * writes a buffer it also reads.
 */
public final class MemoryPlanner {
  private MemoryPlanner() {}

  /** The plan of an entry, whose roots go to the caller's arrays. */
  public static MemoryPlan plan(EntrySchedule schedule) {
    return plan(schedule, true);
  }

  /**
   * The plan of one step of a scan body: every value, results included, lives in a workspace
   * slot (or is a leaf); the results are the plan's {@link MemoryPlan#copies()}, which the loop
   * reads after the step (their targets are placeholders: the loop decides where they go).
   */
  public static MemoryPlan planStep(EntrySchedule step) {
    return plan(step, false);
  }

  private static MemoryPlan plan(EntrySchedule schedule, boolean callerArrays) {
    Map<Node, Storage> storage = new HashMap<>();
    List<Kernel> kernels = schedule.kernels();
    Map<Node, Kernel> computed = new HashMap<>();
    for (Kernel k : kernels) for (Node o : k.outputs()) computed.put(o, k);

    // The caller's arrays: a computed root is written in place, first claim wins.
    List<Node> roots = schedule.roots();
    int results = schedule.entry() == null ? 1 : schedule.entry().results().size();
    Map<Node, Storage> homes = new LinkedHashMap<>();
    List<Integer> unclaimed = new ArrayList<>();
    for (int i = 0; i < roots.size(); i++) {
      Node r = roots.get(i);
      if (callerArrays && computed.containsKey(r) && !homes.containsKey(r)) homes.put(r, role(i, results));
      else unclaimed.add(i);
    }
    List<MemoryPlan.Copy> copies = new ArrayList<>();
    for (int i : unclaimed) {
      Node r = roots.get(i);
      Node base = aliasBase(r);
      if (callerArrays && base != r && computed.containsKey(base) && !homes.containsKey(base)) homes.put(base, role(i, results));
      else copies.add(new MemoryPlan.Copy(r, role(i, results)));
    }

    // Last use of each stored value (aliases resolved), in kernel indices; copies run at the end.
    Map<Node, Integer> lastUse = new HashMap<>();
    for (int t = 0; t < kernels.size(); t++) {
      for (Node operand : kernels.get(t).operands()) lastUse.merge(aliasBase(operand), t, Math::max);
    }
    for (MemoryPlan.Copy c : copies) lastUse.merge(aliasBase(c.value()), kernels.size(), Math::max);

    List<List<Dim>> floatSlots = new ArrayList<>();
    List<List<Dim>> intSlots = new ArrayList<>();
    List<Node> live = new ArrayList<>(); // values in slots, in allocation order
    Map<Node, Storage.Slot> slotOf = new HashMap<>();
    for (int t = 0; t < kernels.size(); t++) {
      final int now = t;
      live.removeIf(v -> lastUse.getOrDefault(v, -1) < now);
      for (Node value : kernels.get(t).outputs()) {
        Storage home = homes.get(value);
        if (home != null) {
          storage.put(value, home);
          continue;
        }
        boolean ints = value.dtype() == DType.INT32;
        List<List<Dim>> slots = ints ? intSlots : floatSlots;
        List<Boolean> busy = new ArrayList<>();
        for (int s = 0; s < slots.size(); s++) busy.add(false);
        for (Node v : live) {
          Storage.Slot s = slotOf.get(v);
          if (s.ints() == ints) busy.set(s.index(), true);
        }
        Dim size = value.shape().size();
        int chosen = -1;
        for (int s = 0; s < slots.size() && chosen < 0; s++) if (!busy.get(s) && slots.get(s).contains(size)) chosen = s;
        for (int s = 0; s < slots.size() && chosen < 0; s++) if (!busy.get(s)) chosen = s;
        if (chosen < 0) {
          chosen = slots.size();
          slots.add(new ArrayList<>());
        }
        if (!slots.get(chosen).contains(size)) slots.get(chosen).add(size);
        Storage.Slot slot = new Storage.Slot(chosen, ints);
        slotOf.put(value, slot);
        storage.put(value, slot);
        live.add(value);
      }
    }

    // Leaves and aliases.
    List<Node> all = new ArrayList<>();
    for (Kernel k : kernels) {
      all.addAll(k.operands());
      all.addAll(k.members());
    }
    for (MemoryPlan.Copy c : copies) all.add(c.value());
    for (Node n : all) {
      if (storage.containsKey(n)) continue;
      Storage s = leafOrAlias(n, storage);
      if (s != null) storage.put(n, s);
    }
    return new MemoryPlan(schedule, storage, floatSlots, intSlots, copies);
  }

  private static Storage leafOrAlias(Node n, Map<Node, Storage> storage) {
    return switch (n.op()) {
      case INPUT -> new Storage.Input(n.attrs().intAt(0));
      case VARIABLE -> new Storage.Variable(n.attrs().intAt(0));
      case CONSTANT -> new Storage.Constant(n);
      case RESHAPE -> {
        Node base = aliasBase(n);
        Storage s = storage.get(base);
        yield s != null ? s : leafOrAlias(base, storage);
      }
      default -> null; // computed inside a kernel, never stored
    };
  }

  /** Follows reshapes down to the value that owns the buffer. */
  public static Node aliasBase(Node n) {
    while (n.op() == Op.RESHAPE) n = n.input(0);
    return n;
  }

  /** The caller's array of root {@code rootIndex}: the results come first, then the gradients. */
  private static Storage role(int rootIndex, int results) {
    return rootIndex < results ? new Storage.Output(rootIndex) : new Storage.Gradient(rootIndex - results);
  }
}
