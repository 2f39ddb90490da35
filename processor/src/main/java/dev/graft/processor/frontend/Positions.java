package dev.graft.processor.frontend;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.SourcePositions;
import com.sun.source.util.TreeScanner;
import com.sun.source.util.Trees;
import dev.graft.processor.ir.SourcePos;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Turns trees into {@link SourcePos}itions that remember the tree. Trees belong to the model's
 * compilation unit unless {@link #include}d from another one (a base class declared in another
 * file), whose trees are then placed in that unit.
 */
final class Positions {
  private static final int MAX_TEXT = 120;

  private final CompilationUnitTree unit;
  private final SourcePositions positions;
  /** Trees of other compilation units, each mapped to its unit (trees compare by identity). */
  private final Map<Tree, CompilationUnitTree> foreign = new IdentityHashMap<>();
  private final Map<CompilationUnitTree, CharSequence> contents = new IdentityHashMap<>();

  Positions(Trees trees, CompilationUnitTree unit) {
    this.unit = unit;
    this.positions = trees.getSourcePositions();
  }

  CompilationUnitTree unit() {
    return unit;
  }

  /** The compilation unit {@code tree} belongs to. */
  CompilationUnitTree unitOf(Tree tree) {
    return foreign.getOrDefault(tree, unit);
  }

  /** Places every tree under {@code root} (a base class's declaration) in {@code other}. */
  void include(CompilationUnitTree other, Tree root) {
    if (other == unit) return;
    new TreeScanner<Void, Void>() {
      @Override
      public Void scan(Tree tree, Void unused) {
        if (tree != null) foreign.put(tree, other);
        return super.scan(tree, unused);
      }
    }.scan(root, null);
  }

  SourcePos of(Tree tree) {
    CompilationUnitTree unit = unitOf(tree);
    String file = unit.getSourceFile() == null ? "" : unit.getSourceFile().getName();
    long start = positions.getStartPosition(unit, tree);
    long line = 0;
    long column = 0;
    if (start >= 0 && unit.getLineMap() != null) {
      line = unit.getLineMap().getLineNumber(start);
      column = unit.getLineMap().getColumnNumber(start);
    }
    return new SourcePos(file, line, column, text(unit, tree, start), new TreeOrigin(unit, tree));
  }

  /** The expression as written (whitespace collapsed, shortened), else as javac prints it. */
  private String text(CompilationUnitTree unit, Tree tree, long start) {
    long end = positions.getEndPosition(unit, tree);
    String raw = null;
    if (start >= 0 && end > start) {
      try {
        CharSequence content = contents.get(unit);
        if (content == null) {
          content = unit.getSourceFile().getCharContent(true);
          contents.put(unit, content);
        }
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
