package dev.graft.processor.diagnostics;

import java.util.Locale;
import java.util.Map;
import javax.annotation.processing.Filer;
import javax.annotation.processing.Messager;
import javax.annotation.processing.ProcessingEnvironment;
import javax.lang.model.SourceVersion;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;

/** Processing environments that wrap javac's, as build tools do. */
final class Environments {
  private Environments() {}

  /** Forwards every call to {@link #target()}. */
  abstract static class Forwarding implements ProcessingEnvironment {
    abstract ProcessingEnvironment target();

    @Override
    public Map<String, String> getOptions() {
      return target().getOptions();
    }

    @Override
    public Messager getMessager() {
      return target().getMessager();
    }

    @Override
    public Filer getFiler() {
      return target().getFiler();
    }

    @Override
    public Elements getElementUtils() {
      return target().getElementUtils();
    }

    @Override
    public Types getTypeUtils() {
      return target().getTypeUtils();
    }

    @Override
    public SourceVersion getSourceVersion() {
      return target().getSourceVersion();
    }

    @Override
    public Locale getLocale() {
      return target().getLocale();
    }
  }

  /** Like Gradle's incremental wrapper: the real environment sits in a field named delegate. */
  static final class GradleLike extends Forwarding {
    private final ProcessingEnvironment delegate;

    GradleLike(ProcessingEnvironment delegate) {
      this.delegate = delegate;
    }

    @Override
    ProcessingEnvironment target() {
      return delegate;
    }
  }

  /** A wrapper no tool uses: nothing can find the environment inside. */
  static final class Opaque extends Forwarding {
    private final ProcessingEnvironment hidden;

    Opaque(ProcessingEnvironment hidden) {
      this.hidden = hidden;
    }

    @Override
    ProcessingEnvironment target() {
      return hidden;
    }
  }
}
