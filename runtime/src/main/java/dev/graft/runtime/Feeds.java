package dev.graft.runtime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The arrays fed to an entry's inputs, by input name ({@code feed_dict}):
 * {@code Feeds.of("x", xs, "y", ys)}. Immutable; the arrays are not copied (they are immutable
 * too).
 */
public final class Feeds {
  private final Map<String, NDArray> arrays;

  private Feeds(Map<String, NDArray> arrays) {
    this.arrays = Collections.unmodifiableMap(arrays);
  }

  /** One input. */
  public static Feeds of(String name, NDArray array) {
    return builder().put(name, array).build();
  }

  /** Two inputs. */
  public static Feeds of(String name1, NDArray array1, String name2, NDArray array2) {
    return builder().put(name1, array1).put(name2, array2).build();
  }

  /** Three inputs. */
  public static Feeds of(String name1, NDArray array1, String name2, NDArray array2, String name3,
      NDArray array3) {
    return builder().put(name1, array1).put(name2, array2).put(name3, array3).build();
  }

  /** Four inputs. */
  public static Feeds of(String name1, NDArray array1, String name2, NDArray array2, String name3,
      NDArray array3, String name4, NDArray array4) {
    return builder().put(name1, array1).put(name2, array2).put(name3, array3).put(name4, array4).build();
  }

  /** A builder for any number of inputs. */
  public static Builder builder() {
    return new Builder();
  }

  /** The fed input names, in the order they were given. */
  public Set<String> names() {
    return arrays.keySet();
  }

  /** The number of fed inputs. */
  int size() {
    return arrays.size();
  }

  /** Whether {@code name} is fed. */
  public boolean contains(String name) {
    return arrays.containsKey(name);
  }

  /**
   * The array fed to {@code name}.
   *
   * @throws IllegalArgumentException if {@code name} is not fed
   */
  public NDArray get(String name) {
    NDArray array = arrays.get(name);
    if (array == null) {
      throw new IllegalArgumentException("no feed named '" + name + "'; fed: " + arrays.keySet());
    }
    return array;
  }

  /** The input names with their shapes, for example {@code {x=[150, 4], y=[150, 3]}}. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("{");
    arrays.forEach((name, array) -> s.append(s.length() > 1 ? ", " : "").append(name).append('=')
        .append(java.util.Arrays.toString(array.shape())));
    return s.append('}').toString();
  }

  /** Collects feeds; each name at most once. */
  public static final class Builder {
    private final Map<String, NDArray> arrays = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Feeds {@code array} to input {@code name}.
     *
     * @throws IllegalArgumentException if {@code name} is already fed
     */
    public Builder put(String name, NDArray array) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(array, () -> "array fed to '" + name + "'");
      if (arrays.putIfAbsent(name, array) != null) {
        throw new IllegalArgumentException("input '" + name + "' is fed twice");
      }
      return this;
    }

    /** The feeds put so far. */
    public Feeds build() {
      return new Feeds(new LinkedHashMap<>(arrays));
    }
  }
}
