package dev.graft.processor.diag;

/**
 * The catalog of every diagnostic Graft reports. Each has a stable tag that appears in the
 * compiler output as {@code [GraftTag]}, so users and tests can recognize it.
 */
public enum Message {
  SHAPE_MISMATCH("GraftShapeMismatch", "shapes do not fit"),
  BROADCAST("GraftBroadcast", "shapes cannot be broadcast together"),
  AXIS_OUT_OF_RANGE("GraftAxisOutOfRange", "axis out of range"),
  LOSS_NOT_SCALAR("GraftLossNotScalar", "a @Loss must return a scalar"),
  MISSING_SHAPE("GraftMissingShape", "a tensor parameter needs a shape"),
  BAD_SHAPE("GraftBadShape", "malformed shape"),
  DTYPE("GraftDType", "wrong element type"),
  UNSUPPORTED("GraftUnsupported", "not supported in a model"),
  UNKNOWN_METHOD("GraftUnknownMethod", "unknown method"),
  RECURSION("GraftRecursion", "model methods call each other recursively"),
  NAME_COLLISION("GraftNameCollision", "name already used"),
  BAD_MODEL("GraftBadModel", "malformed @Model class"),
  NO_SOURCE_TREES("GraftNoSourceTrees", "source trees unavailable"),
  INTERNAL_ERROR("GraftInternalError", "internal compiler error");

  private final String tag;
  private final String summary;

  Message(String tag, String summary) {
    this.tag = tag;
    this.summary = summary;
  }

  /** The tag without brackets, such as {@code GraftShapeMismatch}. */
  public String tag() {
    return tag;
  }

  /** A few words that say what kind of problem this is. */
  public String summary() {
    return summary;
  }

  /** The text javac prints: {@code [GraftTag] detail}. */
  public String format(String detail) {
    return "[" + tag + "] " + detail;
  }
}
