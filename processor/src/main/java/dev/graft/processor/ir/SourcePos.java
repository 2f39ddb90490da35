package dev.graft.processor.ir;

/**
 * Where a node came from in the model source. {@code origin} is an opaque handle that only the
 * front end interprets (it maps back to the javac tree for diagnostics); it takes no part in
 * equality, so nodes from different lines still share structure.
 */
public record SourcePos(String file, long line, long column, String text, Object origin) {
  /** For nodes built without source, such as in unit tests. */
  public static final SourcePos UNKNOWN = new SourcePos("", 0, 0, "", null);

  @Override
  public boolean equals(Object o) {
    return o instanceof SourcePos p && p.file.equals(file) && p.line == line && p.column == column;
  }

  @Override
  public int hashCode() {
    return file.hashCode() * 31 + Long.hashCode(line * 1000 + column);
  }

  /** {@code Model.java:12} (the file's simple name and line), or {@code ?} when unknown. */
  @Override
  public String toString() {
    if (this == UNKNOWN || line == 0) return "?";
    String name = file.substring(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
    return name + ":" + line;
  }
}
