package dev.graft.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpPrintsUsageOnStdout() {
    assertEquals(0, run("help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("usage: graft"));
    assertEquals("", err());
  }

  @Test
  void noCommandPrintsUsageOnStderr() {
    assertEquals(2, run());
    assertTrue(err().startsWith("usage: graft"), err());
  }

  @Test
  void unknownCommandIsAUsageError() {
    assertEquals(2, run("train-gpt"));
    assertTrue(err().startsWith("graft: unknown command 'train-gpt'"), err());
    assertTrue(err().contains("usage: graft"), err());
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void badOptionsAreUsageErrorsWithAClearMessage() {
    assertEquals(2, run("logreg", "--epochs", "many"));
    assertTrue(err().startsWith("graft: logreg: --epochs needs a positive integer, got 'many'"), err());
    err.reset();
    assertEquals(2, run("logreg", "--lr", "-0.5"));
    assertTrue(err().startsWith("graft: logreg: --lr needs a positive number, got '-0.5'"), err());
    err.reset();
    assertEquals(2, run("logreg", "--seed"));
    assertTrue(err().startsWith("graft: logreg: --seed needs an integer"), err());
    err.reset();
    assertEquals(2, run("logreg", "--batch", "10"));
    assertTrue(err().startsWith("graft: logreg: unknown option '--batch'"), err());
    err.reset();
    assertEquals(2, run("seed", "--fast"));
    assertTrue(err().startsWith("graft: seed takes no options"), err());
  }

  @Test
  void optionsParseInBothSpellings() {
    var options = Main.logregOptions(new String[] {"--epochs", "20", "--lr=0.1", "--seed=7"});
    assertEquals(20, options.epochs());
    assertEquals(0.1f, options.learningRate());
    assertEquals(7L, options.seed());
  }
}
