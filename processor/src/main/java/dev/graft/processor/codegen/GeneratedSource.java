package dev.graft.processor.codegen;

/** One generated Java compilation unit. */
public record GeneratedSource(String packageName, String simpleName, String source) {
  /** The binary name the runtime loads: {@code package.GraftModel}. */
  public String qualifiedName() {
    return packageName.isEmpty() ? simpleName : packageName + "." + simpleName;
  }
}
