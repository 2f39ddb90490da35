package dev.graft.processor.ir;

import java.util.ArrayList;
import java.util.List;

/** A tensor shape: a list of {@link Dim}s, row-major. The empty shape is a scalar. */
public final class Shape {
  private static final Shape SCALAR = new Shape(List.of());

  private final List<Dim> dims;

  private Shape(List<Dim> dims) {
    this.dims = dims;
  }

  public static Shape of(List<Dim> dims) {
    return dims.isEmpty() ? SCALAR : new Shape(List.copyOf(dims));
  }

  public static Shape of(Dim... dims) {
    return of(List.of(dims));
  }

  public static Shape of(long... fixed) {
    List<Dim> d = new ArrayList<>();
    for (long v : fixed) d.add(Dim.of(v));
    return of(d);
  }

  public static Shape scalar() {
    return SCALAR;
  }

  /**
   * Parses the annotation form: dims separated by commas ({@code "batch, 4"}, {@code "4*hidden"});
   * blank is a scalar. Throws IllegalArgumentException with a message that names the bad part.
   */
  public static Shape parse(String text) {
    String t = text.trim();
    if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1).trim();
    if (t.isEmpty()) return SCALAR;
    List<Dim> d = new ArrayList<>();
    for (String part : t.split(",", -1)) d.add(Dim.parse(part));
    return of(d);
  }

  public List<Dim> dims() {
    return dims;
  }

  public int rank() {
    return dims.size();
  }

  public boolean isScalar() {
    return dims.isEmpty();
  }

  public Dim dim(int axis) {
    return dims.get(axis);
  }

  /** The last dim; throws for a scalar. */
  public Dim last() {
    return dims.get(dims.size() - 1);
  }

  /** The number of elements, as a dim (a product of constants and symbols). */
  public Dim size() {
    Dim s = Dim.of(1);
    for (Dim d : dims) s = s.times(d);
    return s;
  }

  /** Dims [from, to). */
  public Shape sub(int from, int to) {
    return of(dims.subList(from, to));
  }

  public Shape with(int axis, Dim d) {
    List<Dim> l = new ArrayList<>(dims);
    l.set(axis, d);
    return of(l);
  }

  public Shape append(Dim d) {
    List<Dim> l = new ArrayList<>(dims);
    l.add(d);
    return of(l);
  }

  public Shape concat(Shape other) {
    List<Dim> l = new ArrayList<>(dims);
    l.addAll(other.dims);
    return of(l);
  }

  public boolean isFixed() {
    return dims.stream().allMatch(Dim::isFixed);
  }

  /** The dims as the runtime's spec strings ({@code ["batch", "4"]}). */
  public List<String> toSpec() {
    List<String> l = new ArrayList<>();
    for (Dim d : dims) l.add(d.toString());
    return l;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && s.dims.equals(dims);
  }

  @Override
  public int hashCode() {
    return dims.hashCode();
  }

  /** {@code [batch, 4]}; a scalar is {@code []}. */
  @Override
  public String toString() {
    return dims.toString();
  }
}
