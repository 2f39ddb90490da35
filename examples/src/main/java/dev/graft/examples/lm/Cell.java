package dev.graft.examples.lm;

import java.util.Locale;

/** The recurrent cells of {@code --cell}, each a compiled two-layer model. */
public enum Cell {
  /** {@link LstmLanguageModel}: states h and c per layer. */
  LSTM(LstmLanguageModel.class, 2),
  /** {@link GruLanguageModel}: state h per layer. */
  GRU(GruLanguageModel.class, 1),
  /** {@link RnnLanguageModel}: state h per layer. */
  RNN(RnnLanguageModel.class, 1);

  private final Class<?> model;
  private final int statesPerLayer;

  Cell(Class<?> model, int statesPerLayer) {
    this.model = model;
    this.statesPerLayer = statesPerLayer;
  }

  /** The {@code @Model} class. */
  Class<?> model() {
    return model;
  }

  /** The state tensors per layer (2 for an LSTM's h and c). */
  public int statesPerLayer() {
    return statesPerLayer;
  }

  /** The name on the command line and in saved models: lstm, gru, rnn. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The cell named {@code id} (any case).
   *
   * @throws IllegalArgumentException for another name
   */
  public static Cell parse(String id) {
    for (Cell c : values()) {
      if (c.id().equalsIgnoreCase(id)) return c;
    }
    throw new IllegalArgumentException("unknown cell '" + id + "': lstm, gru or rnn");
  }
}
