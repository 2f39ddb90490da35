package dev.graft.processor.testing;

import com.sun.source.util.JavacTask;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.annotation.processing.Processor;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.FileObject;
import javax.tools.ForwardingJavaFileManager;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileManager;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles Java sources in memory with the JDK compiler API, optionally with annotation
 * processors, against the test class path. Keeps the generated sources and class files, and
 * loads the compiled classes in a fresh class loader.
 */
public final class InMemoryCompiler {
  private final List<Processor> processors = new ArrayList<>();
  private final List<String> options = new ArrayList<>();
  private final List<Consumer<JavacTask>> taskHooks = new ArrayList<>();

  public static InMemoryCompiler create() {
    return new InMemoryCompiler();
  }

  public InMemoryCompiler withProcessors(Processor... p) {
    processors.addAll(List.of(p));
    return this;
  }

  public InMemoryCompiler withOptions(String... o) {
    options.addAll(List.of(o));
    return this;
  }

  /** Runs {@code hook} on the javac task before it compiles, e.g. to add a {@code TaskListener}. */
  public InMemoryCompiler withTask(Consumer<JavacTask> hook) {
    taskHooks.add(hook);
    return this;
  }

  /** The outcome of one compilation. */
  public static final class Result {
    private final boolean success;
    private final List<Diagnostic<? extends JavaFileObject>> diagnostics;
    private final Map<String, String> generatedSources;
    private final Map<String, byte[]> classFiles;

    Result(boolean success, List<Diagnostic<? extends JavaFileObject>> diagnostics, Map<String, String> generatedSources,
        Map<String, byte[]> classFiles) {
      this.success = success;
      this.diagnostics = diagnostics;
      this.generatedSources = generatedSources;
      this.classFiles = classFiles;
    }

    public boolean success() {
      return success;
    }

    public List<Diagnostic<? extends JavaFileObject>> diagnostics() {
      return diagnostics;
    }

    public List<Diagnostic<? extends JavaFileObject>> errors() {
      return diagnostics.stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).collect(Collectors.toList());
    }

    /** Every diagnostic, one per line: {@code ERROR Model.java:12: message}. */
    public String describe() {
      StringBuilder b = new StringBuilder();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics) {
        String file = d.getSource() == null ? "?" : d.getSource().getName();
        b.append(d.getKind()).append(' ').append(file).append(':').append(d.getLineNumber()).append(": ")
            .append(d.getMessage(Locale.ROOT)).append('\n');
      }
      return b.toString();
    }

    /** Generated sources by qualified class name. */
    public Map<String, String> generatedSources() {
      return generatedSources;
    }

    /** Class files by binary name. */
    public Map<String, byte[]> classFiles() {
      return classFiles;
    }

    /** A new class loader over the compiled classes (parent: the test class loader). */
    public ClassLoader classLoader() {
      return new ClassLoader(InMemoryCompiler.class.getClassLoader()) {
        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
          byte[] bytes = classFiles.get(name);
          if (bytes == null) throw new ClassNotFoundException(name);
          return defineClass(name, bytes, 0, bytes.length);
        }
      };
    }
  }

  /** Compiles sources given as (qualified class name → source text). */
  public Result compile(Map<String, String> sources) {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> collector = new DiagnosticCollector<>();
    StandardJavaFileManager standard = javac.getStandardFileManager(collector, Locale.ROOT, null);
    Map<String, String> generated = new LinkedHashMap<>();
    Map<String, byte[]> classes = new LinkedHashMap<>();
    JavaFileManager manager = new ForwardingJavaFileManager<>(standard) {
      @Override
      public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
          FileObject sibling) {
        URI uri = URI.create("mem:///" + className.replace('.', '/') + kind.extension);
        return new SimpleJavaFileObject(uri, kind) {
          @Override
          public OutputStream openOutputStream() {
            return new ByteArrayOutputStream() {
              @Override
              public void close() {
                if (kind == JavaFileObject.Kind.CLASS) classes.put(className, toByteArray());
                else generated.put(className, toString(java.nio.charset.StandardCharsets.UTF_8));
              }
            };
          }

          // javac parses generated sources in the next round, so they must be readable back.
          @Override
          public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            String text = generated.get(className);
            if (text == null) throw new IllegalStateException(className + " has not been written");
            return text;
          }

          @Override
          public java.io.Writer openWriter() {
            return new StringWriter() {
              @Override
              public void close() {
                generated.put(className, toString());
              }
            };
          }
        };
      }

      @Override
      public FileObject getFileForOutput(Location location, String packageName, String relativeName, FileObject sibling) {
        return getJavaFileForOutput(location, packageName + "." + relativeName, JavaFileObject.Kind.OTHER, sibling);
      }
    };
    List<JavaFileObject> units = new ArrayList<>();
    for (Map.Entry<String, String> e : sources.entrySet()) {
      URI uri = URI.create("string:///" + e.getKey().replace('.', '/') + ".java");
      String text = e.getValue();
      units.add(new SimpleJavaFileObject(uri, JavaFileObject.Kind.SOURCE) {
        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
          return text;
        }
      });
    }
    List<String> opts = new ArrayList<>(List.of("-classpath", System.getProperty("java.class.path"), "-Xlint:none"));
    if (processors.isEmpty()) opts.add("-proc:none");
    opts.addAll(options);
    JavaCompiler.CompilationTask task = javac.getTask(new StringWriter(), manager, collector, opts, null, units);
    if (!processors.isEmpty()) task.setProcessors(processors);
    taskHooks.forEach(hook -> hook.accept((JavacTask) task));
    boolean ok = task.call();
    return new Result(ok, collector.getDiagnostics(), generated, classes);
  }

  /** Compiles one source file. */
  public Result compile(String qualifiedName, String source) {
    return compile(Map.of(qualifiedName, source));
  }
}
