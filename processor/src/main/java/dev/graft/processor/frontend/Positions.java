package dev.graft.processor.frontend;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.Trees;
import dev.graft.processor.ir.SourcePos;
import java.io.IOException;

/** Turns trees of one compilation unit into {@link SourcePos}itions that remember the tree. */
final class Positions {
  private static final int MAX_TEXT = 120;

  private final CompilationUnitTree unit;
  private final SourcePositions positions;
  private final String file;
  private CharSequence content;

  Positions(Trees trees, CompilationUnitTree unit) {
    this.unit = unit;
    this.positions = trees.getSourcePositions();
    this.file = unit.getSourceFile() == null ? "" : unit.getSourceFile().getName();
  }

  CompilationUnitTree unit() {
    return unit;
  }

  SourcePos of(Tree tree) {
    long start = positions.getStartPosition(unit, tree);
    long line = 0;
    long column = 0;
    if (start >= 0 && unit.getLineMap() != null) {
      line = unit.getLineMap().getLineNumber(start);
      column = unit.getLineMap().getColumnNumber(start);
    }
    return new SourcePos(file, line, column, text(tree, start), new TreeOrigin(unit, tree));
  }

  /** The expression as written (whitespace collapsed, shortened), else as javac prints it. */
  private String text(Tree tree, long start) {
    long end = positions.getEndPosition(unit, tree);
    String raw = null;
    if (start >= 0 && end > start) {
      try {
        if (content == null) content = unit.getSourceFile().getCharContent(true);
        if (end <= content.length()) raw = content.subSequence((int) start, (int) end).toString();
      } catch (IOException | RuntimeException e) {
        raw = null; // fall back to javac's rendering below
      }
    }
    if (raw == null) raw = tree.toString();
    String t = raw.replaceAll("\\s+", " ").trim();
    return t.length() <= MAX_TEXT ? t : t.substring(0, MAX_TEXT - 3) + "...";
  }
}
