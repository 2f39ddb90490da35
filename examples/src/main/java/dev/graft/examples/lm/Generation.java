package dev.graft.examples.lm;

import dev.graft.runtime.NDArray;
import dev.graft.runtime.text.Sampler;
import dev.graft.runtime.text.Vocabulary;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Text from a trained model at batch 1: the prompt runs through in one call, then each new
 * token is drawn from the last logits ({@link Sampler}: temperature, top-k, seeded) and fed back
 * with the state.
 *
 * <p>Every step writes into arrays made once ({@link LanguageModel#nextInto}): the logits, and
 * two states that take turns, since a step cannot write the state it reads. A draw copies the
 * logits for the {@link Sampler} (which sorts a copy of its own).
 */
public final class Generation {
  private final LanguageModel model;
  /** The logits [1, vocab] of the next token. */
  private final NDArray logits;
  /** The state after the tokens so far, and the array the next step writes its state into. */
  private NDArray state;
  private NDArray spare;
  /** The arrays of a step, reused: {ids, state} and {logits, next state}. */
  private final NDArray[] inputs = new NDArray[2];
  private final NDArray[] results = new NDArray[2];

  /** A generator positioned after {@code prompt} (ids). */
  public Generation(LanguageModel model, int[] prompt) {
    if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
    this.model = model;
    this.logits = NDArray.zeros(1, model.vocab());
    this.state = model.zeroState(1);
    this.spare = model.zeroState(1);
    results[0] = logits;
    feed(prompt);
  }

  /** Runs {@code ids} through the model from the current state. */
  public void feed(int[] ids) {
    inputs[0] = NDArray.ofInts(ids, ids.length, 1);
    inputs[1] = state;
    results[1] = spare;
    model.nextInto(results, inputs);
    spare = state;
    state = results[1];
  }

  /** The logits of the next token. */
  public float[] logits() {
    return logits.toFloatArray();
  }

  /** The probabilities of the next token: softmax of {@link #logits()}. */
  public float[] probabilities() {
    return softmax(logits());
  }

  /** Draws the next token, feeds it and returns its id. */
  public int next(Sampler sampler) {
    return next(sampler, false);
  }

  /** Draws the next token, never {@code <unk>} if {@code noUnknown}, feeds it and returns its id. */
  public int next(Sampler sampler, boolean noUnknown) {
    float[] row = logits.toFloatArray();
    if (noUnknown && row.length > 1) {
      row[Vocabulary.UNK_ID] = Float.NEGATIVE_INFINITY;
    }
    int id = sampler.fromLogits(row);
    feed(new int[] {id});
    return id;
  }

  static float[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) max = Math.max(max, l);
    double[] e = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) sum += e[i] = Math.exp(logits[i] - max);
    float[] p = new float[logits.length];
    for (int i = 0; i < p.length; i++) p[i] = (float) (e[i] / sum);
    return p;
  }

  /**
   * The ids of {@code prompt}; tokens not in the vocabulary read as {@link Vocabulary#UNK}, and a
   * note on {@code err} names them. An empty prompt starts a line: {@code <eos>} for words,
   * {@code '\n'} for characters (or {@code <unk>} when the vocabulary has no line break).
   */
  public static int[] encodePrompt(Vocabulary vocabulary, String prompt, PrintStream err) {
    Set<String> unknown = new LinkedHashSet<>();
    List<String> tokens = new ArrayList<>();
    if (vocabulary.level() == Vocabulary.Level.CHARACTERS) {
      prompt.codePoints().forEach(c -> tokens.add(new String(Character.toChars(c))));
    } else {
      for (String t : prompt.trim().split("\\s+")) {
        if (!t.isEmpty()) tokens.add(t);
      }
    }
    for (String t : tokens) {
      if (!vocabulary.contains(t)) unknown.add(t);
    }
    if (!unknown.isEmpty()) {
      List<String> shown = new ArrayList<>();
      for (String t : unknown) shown.add(display(t));
      err.println("note: " + unknown.size() + " prompt token" + (unknown.size() == 1 ? " is" : "s are")
          + " not in the vocabulary and read as " + Vocabulary.UNK + ": " + String.join(", ", shown));
    }
    if (tokens.isEmpty()) {
      String start = vocabulary.level() == Vocabulary.Level.WORDS ? Vocabulary.EOS : "\n";
      return new int[] {vocabulary.id(start)};
    }
    int[] ids = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) ids[i] = vocabulary.id(tokens.get(i));
    return ids;
  }

  /** A token as a message shows it: quoted, line breaks and tabs escaped. */
  static String display(String token) {
    return "'" + token.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "'";
  }

  /** The text of one generated token: characters as they are; words after a space, {@code <eos>} as a line break. */
  static String text(Vocabulary vocabulary, int id, boolean lineStart) {
    String token = vocabulary.token(id);
    if (vocabulary.level() == Vocabulary.Level.CHARACTERS) return token;
    if (token.equals(Vocabulary.EOS)) return "\n";
    return lineStart ? token : " " + token;
  }

  /** Writes {@code prompt} and {@code length} drawn tokens to {@code out} as they come. */
  public static String generate(LanguageModel model, Vocabulary vocabulary, String prompt, int length,
      Sampler sampler, PrintStream out, PrintStream err) {
    int[] ids = encodePrompt(vocabulary, prompt, err);
    Generation g = new Generation(model, ids);
    StringBuilder text = new StringBuilder(prompt);
    out.print(prompt);
    boolean lineStart = prompt.isEmpty() || prompt.endsWith("\n");
    for (int i = 0; i < length; i++) {
      // <unk> stands for no character in particular: a character model never writes it.
      boolean noUnknown = vocabulary.level() == Vocabulary.Level.CHARACTERS;
      String piece = text(vocabulary, g.next(sampler, noUnknown), lineStart);
      lineStart = piece.endsWith("\n");
      text.append(piece);
      out.print(piece);
      out.flush();
    }
    out.println();
    return text.toString();
  }
}
