package dev.graft.processor.diag;

import dev.graft.processor.ir.SourcePos;

/**
 * A problem in a model, raised by any compiler phase and reported by the processor as a tagged
 * error at {@link #position()} (the expression that caused it, when known).
 */
public final class GraftException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Message kind;
  private final transient SourcePos position;
  private final String detail;

  public GraftException(Message kind, SourcePos position, String detail) {
    super(kind.format(detail));
    this.kind = kind;
    this.position = position;
    this.detail = detail;
  }

  public Message kind() {
    return kind;
  }

  /** Where in the model source the problem is; {@link SourcePos#UNKNOWN} when not known. */
  public SourcePos position() {
    return position;
  }

  /** The message without its tag. */
  public String detail() {
    return detail;
  }
}
