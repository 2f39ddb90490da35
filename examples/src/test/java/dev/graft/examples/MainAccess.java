package dev.graft.examples;

import java.io.PrintStream;

/** Lets tests in other packages run the command line. */
public final class MainAccess {
  private MainAccess() {}

  public static int run(String[] args, PrintStream out, PrintStream err) {
    return Main.run(args, out, err);
  }
}
