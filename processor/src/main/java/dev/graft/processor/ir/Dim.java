package dev.graft.processor.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One dimension: a positive integer times a product of named symbols ({@code 4}, {@code batch},
 * {@code 4*hidden}). Symbols are bound to positive integers when a session opens or from each
 * call's feeds; two dims are equal exactly when they are equal for every binding.
 */
public final class Dim implements Comparable<Dim> {
  private static final Dim ONE = new Dim(1, List.of());
  private static final Dim ZERO = new Dim(0, List.of());

  private final long coefficient;
  private final List<String> symbols; // sorted, may repeat

  private Dim(long coefficient, List<String> symbols) {
    this.coefficient = coefficient;
    this.symbols = symbols;
  }

  public static Dim of(long value) {
    if (value < 1) throw new IllegalArgumentException("a dimension must be positive, got " + value);
    return value == 1 ? ONE : new Dim(value, List.of());
  }

  /** Zero: not a dimension, but the offset of a slice that starts at the beginning. */
  public static Dim zero() {
    return ZERO;
  }

  public boolean isZero() {
    return coefficient == 0;
  }

  public static Dim symbol(String name) {
    if (!isSymbolName(name)) throw new IllegalArgumentException("not a dimension symbol: '" + name + "'");
    return new Dim(1, List.of(name));
  }

  /** True for a Java-identifier-like name: a letter or underscore, then letters, digits, underscores. */
  public static boolean isSymbolName(String name) {
    if (name.isEmpty() || !(Character.isLetter(name.charAt(0)) || name.charAt(0) == '_')) return false;
    for (int i = 1; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '_')) return false;
    }
    return true;
  }

  /** Parses {@code 4}, {@code batch} or a product such as {@code 4*hidden}. */
  public static Dim parse(String text) {
    String t = text.trim();
    if (t.isEmpty()) throw new IllegalArgumentException("empty dimension");
    Dim result = ONE;
    for (String factor : t.split("\\*", -1)) {
      String f = factor.trim();
      if (!f.isEmpty() && f.chars().allMatch(Character::isDigit)) {
        long v;
        try {
          v = Long.parseLong(f);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("dimension too large: '" + f + "'");
        }
        if (v < 1) throw new IllegalArgumentException("a dimension must be positive, got '" + f + "'");
        result = result.times(of(v));
      } else if (isSymbolName(f)) {
        result = result.times(symbol(f));
      } else {
        throw new IllegalArgumentException("'" + text.trim() + "' is not a dimension (a positive integer, a symbol name, or a product of them with '*')");
      }
    }
    return result;
  }

  public boolean isFixed() {
    return symbols.isEmpty();
  }

  /** The value of a fixed dim; throws for a symbolic one. */
  public long value() {
    if (!isFixed()) throw new IllegalStateException(this + " is symbolic");
    return coefficient;
  }

  public long coefficient() {
    return coefficient;
  }

  /** The symbol names in sorted order, repeated for powers. */
  public List<String> symbols() {
    return symbols;
  }

  public boolean isOne() {
    return coefficient == 1 && symbols.isEmpty();
  }

  public Dim times(Dim other) {
    if (isZero() || other.isZero()) return ZERO;
    List<String> s = new ArrayList<>(symbols);
    s.addAll(other.symbols);
    Collections.sort(s);
    return new Dim(Math.multiplyExact(coefficient, other.coefficient), List.copyOf(s));
  }

  /** {@code this / other} when it divides exactly into a dim, else empty. */
  public Optional<Dim> divide(Dim other) {
    if (other.isZero()) return Optional.empty();
    if (isZero()) return Optional.of(ZERO);
    if (coefficient % other.coefficient != 0) return Optional.empty();
    List<String> s = new ArrayList<>(symbols);
    for (String sym : other.symbols) {
      if (!s.remove(sym)) return Optional.empty();
    }
    return Optional.of(new Dim(coefficient / other.coefficient, List.copyOf(s)));
  }

  /** {@code this + other} when it is again a dim (same symbols), else empty. */
  public Optional<Dim> plus(Dim other) {
    if (isZero()) return Optional.of(other);
    if (other.isZero()) return Optional.of(this);
    if (!symbols.equals(other.symbols)) return Optional.empty();
    return Optional.of(new Dim(Math.addExact(coefficient, other.coefficient), symbols));
  }

  /** {@code this - other} when positive and again a dim, else empty. */
  public Optional<Dim> minus(Dim other) {
    if (other.isZero()) return isZero() ? Optional.empty() : Optional.of(this);
    if (!symbols.equals(other.symbols) || coefficient <= other.coefficient) return Optional.empty();
    return Optional.of(new Dim(coefficient - other.coefficient, symbols));
  }

  /** A Java int expression for this dim, with each symbol spelled by {@code symbolExpression}. */
  public String toJava(java.util.function.Function<String, String> symbolExpression) {
    StringBuilder b = new StringBuilder();
    if (coefficient != 1 || symbols.isEmpty()) b.append(coefficient);
    for (String s : symbols) {
      if (b.length() > 0) b.append(" * ");
      b.append(symbolExpression.apply(s));
    }
    return b.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Dim d && d.coefficient == coefficient && d.symbols.equals(symbols);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(coefficient) * 31 + symbols.hashCode();
  }

  @Override
  public int compareTo(Dim o) {
    int c = Long.compare(coefficient, o.coefficient);
    return c != 0 ? c : String.join("*", symbols).compareTo(String.join("*", o.symbols));
  }

  /** {@code 4}, {@code batch}, {@code 4*hidden}: the form {@link #parse} reads. */
  @Override
  public String toString() {
    return toJava(s -> s).replace(" * ", "*");
  }
}
