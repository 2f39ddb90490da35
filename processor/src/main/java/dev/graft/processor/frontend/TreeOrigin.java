package dev.graft.processor.frontend;

import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;

/**
 * The {@link dev.graft.processor.ir.SourcePos#origin() origin} the front end puts in every
 * position: the tree that produced a node, so a diagnostic raised by any later phase can point
 * javac's caret at that exact expression.
 */
public record TreeOrigin(CompilationUnitTree unit, Tree tree) {}
