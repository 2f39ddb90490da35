package dev.graft.processor.schedule;

/**
 * The answer of a fusion predicate: whether a producer joins a consumer's kernel and, when it
 * does not, why, so a reader can ask "why was this not fused?".
 */
public record FusionDecision(boolean fused, String reason) {
  private static final FusionDecision YES = new FusionDecision(true, "fused");

  public static FusionDecision yes() {
    return YES;
  }

  public static FusionDecision no(String reason) {
    return new FusionDecision(false, reason);
  }
}
