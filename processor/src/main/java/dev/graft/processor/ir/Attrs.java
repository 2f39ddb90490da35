package dev.graft.processor.ir;

import java.util.Arrays;
import java.util.Objects;

/**
 * The attributes of a node; which ones an op uses is said on each {@link Op}. Immutable (arrays
 * are copied in and out) and compared by value, for hash-consing, except a SCAN's {@link
 * ScanBody}, which compares by identity: that is sound (two different bodies are never merged)
 * and cheap, and only misses merging two separately built but identical bodies.
 */
public final class Attrs {
  public static final Attrs NONE = new Attrs(new int[0], new double[0], null, null, null, false, null);

  private final int[] ints;
  private final double[] reals;
  private final String name;
  private final Dim dim;
  private final Shape target;
  private final boolean flag;
  private final ScanBody body;

  private Attrs(int[] ints, double[] reals, String name, Dim dim, Shape target, boolean flag, ScanBody body) {
    this.ints = ints;
    this.reals = reals;
    this.name = name;
    this.dim = dim;
    this.target = target;
    this.flag = flag;
    this.body = body;
  }

  public static Attrs ints(int... ints) {
    return NONE.withInts(ints);
  }

  public static Attrs reals(double... reals) {
    return NONE.withReals(reals);
  }

  public Attrs withInts(int... v) {
    return new Attrs(v.clone(), reals, name, dim, target, flag, body);
  }

  public Attrs withReals(double... v) {
    return new Attrs(ints, v.clone(), name, dim, target, flag, body);
  }

  public Attrs withName(String v) {
    return new Attrs(ints, reals, v, dim, target, flag, body);
  }

  public Attrs withDim(Dim v) {
    return new Attrs(ints, reals, name, v, target, flag, body);
  }

  public Attrs withTarget(Shape v) {
    return new Attrs(ints, reals, name, dim, v, flag, body);
  }

  public Attrs withFlag(boolean v) {
    return new Attrs(ints, reals, name, dim, target, v, body);
  }

  public Attrs withBody(ScanBody v) {
    return new Attrs(ints, reals, name, dim, target, flag, v);
  }

  public int[] ints() {
    return ints.clone();
  }

  public int intAt(int i) {
    return ints[i];
  }

  public int intCount() {
    return ints.length;
  }

  public double[] reals() {
    return reals.clone();
  }

  public double realAt(int i) {
    return reals[i];
  }

  public int realCount() {
    return reals.length;
  }

  public String name() {
    return name;
  }

  /** A dimension-valued attribute: the offset of SLICE and PAD, the depth of ONE_HOT. */
  public Dim dim() {
    return dim;
  }

  public Shape target() {
    return target;
  }

  public boolean flag() {
    return flag;
  }

  /** The step function of a SCAN. */
  public ScanBody body() {
    return body;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attrs a && Arrays.equals(a.ints, ints) && Arrays.equals(a.reals, reals)
        && Objects.equals(a.name, name) && Objects.equals(a.dim, dim)
        && Objects.equals(a.target, target) && a.flag == flag && a.body == body;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(ints), Arrays.hashCode(reals), name, dim, target, flag,
        System.identityHashCode(body));
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    if (name != null) b.append(" name=").append(name);
    if (ints.length > 0) b.append(" ints=").append(Arrays.toString(ints));
    if (reals.length > 0) {
      b.append(" reals=").append(reals.length > 8 ? "[" + reals.length + " values]" : Arrays.toString(reals));
    }
    if (dim != null) b.append(" dim=").append(dim);
    if (target != null) b.append(" target=").append(target);
    if (flag) b.append(" flag");
    if (body != null) b.append(' ').append(body); // never an identity hash: output stays deterministic
    return b.toString().trim();
  }
}
