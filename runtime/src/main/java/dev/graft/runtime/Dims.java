package dev.graft.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Values of dimension symbols bound when a session opens, typically model sizes that come from
 * data: {@code Dims.of("vocab", 10000, "hidden", 200)}. Symbols left out (such as {@code batch})
 * are bound from the feeds of each call. Immutable.
 */
public final class Dims {
  private static final Dims NONE = new Dims(Map.of());

  private final Map<String, Integer> values;

  private Dims(Map<String, Integer> values) {
    this.values = values;
  }

  /** No session symbols. */
  public static Dims none() {
    return NONE;
  }

  /** One symbol. */
  public static Dims of(String name, int value) {
    return NONE.and(name, value);
  }

  /** Two symbols. */
  public static Dims of(String name1, int value1, String name2, int value2) {
    return of(name1, value1).and(name2, value2);
  }

  /** Three symbols. */
  public static Dims of(String name1, int value1, String name2, int value2, String name3, int value3) {
    return of(name1, value1, name2, value2).and(name3, value3);
  }

  /**
   * These bindings plus {@code name = value}.
   *
   * @throws IllegalArgumentException if {@code name} is already bound or {@code value < 1}
   */
  public Dims and(String name, int value) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a symbol name must not be empty");
    }
    if (values.containsKey(name)) {
      throw new IllegalArgumentException("symbol '" + name + "' is bound twice");
    }
    if (value < 1) {
      throw new IllegalArgumentException("symbol '" + name + "' must be at least 1, got " + value);
    }
    Map<String, Integer> copy = new LinkedHashMap<>(values);
    copy.put(name, value);
    return new Dims(Collections.unmodifiableMap(copy));
  }

  /** The bound symbols, in the order they were given. */
  public Set<String> names() {
    return values.keySet();
  }

  /** Whether {@code name} is bound. */
  public boolean contains(String name) {
    return values.containsKey(name);
  }

  /**
   * The value of {@code name}.
   *
   * @throws IllegalArgumentException if it is not bound
   */
  public int get(String name) {
    Integer value = values.get(name);
    if (value == null) {
      throw new IllegalArgumentException("symbol '" + name + "' is not bound; bound: " + values.keySet());
    }
    return value;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Dims other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  /** For example {@code {vocab=10000, hidden=200}}. */
  @Override
  public String toString() {
    return values.toString();
  }
}
