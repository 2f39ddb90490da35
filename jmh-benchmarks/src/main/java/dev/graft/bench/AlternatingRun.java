package dev.graft.bench;

import java.lang.annotation.Annotation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one benchmark method of two builds of this module in the same JVM, alternating between
 * them in short blocks, and prints each build's block times and the ratio of adjacent blocks.
 *
 * <p>On a shared VM the machine's speed drifts by ±30% within seconds, so two JMH runs one after
 * the other (or two forks) can differ by more than a change does. Here each build runs in its
 * own class loader (its own copy of the runtime, the generated model and their JIT code), and
 * blocks of the two alternate, so each pair of adjacent blocks sees about the same machine; the
 * median of the pairs' ratios is what a change is read from.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp jmh-benchmarks/target/benchmarks.jar \
 *     dev.graft.bench.AlternatingRun OLD.jar NEW.jar LanguageModelBenchmark trainStep threads=1
 * </pre>
 *
 * Options after the parameters: {@code --warmup S} seconds per build before measuring (default
 * 20), {@code --block MS} milliseconds per block (default 500), {@code --pairs N} (default 40).
 * The benchmark's {@code @Setup} and {@code @TearDown} methods run once per build. Each call goes
 * through reflection (a few nanoseconds, and a boxed result; the same for both builds), so it
 * suits benchmarks of a microsecond or more. The two builds still get different JIT code: run
 * both orders (old, new and new, old) and read a change only where the two agree.
 */
public final class AlternatingRun {
  private AlternatingRun() {}

  /** One build's benchmark instance and method. */
  private record Build(Object state, Method method, List<Method> tearDowns) {
    /** Calls the method {@code calls} times; nanoseconds per call. */
    double block(int calls) throws ReflectiveOperationException {
      long t0 = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        sink ^= System.identityHashCode(method.invoke(state));
      }
      return (System.nanoTime() - t0) / (double) calls;
    }
  }

  private static volatile int sink;

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println("usage: AlternatingRun OLD.jar NEW.jar BenchmarkClass method [param=value ...]"
          + " [--warmup S] [--block MS] [--pairs N]");
      System.exit(2);
    }
    Map<String, String> params = new LinkedHashMap<>();
    double warmupSeconds = 20;
    double blockMillis = 500;
    int pairs = 40;
    for (int i = 4; i < args.length; i++) {
      switch (args[i]) {
        case "--warmup" -> warmupSeconds = Double.parseDouble(args[++i]);
        case "--block" -> blockMillis = Double.parseDouble(args[++i]);
        case "--pairs" -> pairs = Integer.parseInt(args[++i]);
        default -> {
          int eq = args[i].indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("not param=value: " + args[i]);
          params.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
      }
    }
    String className = args[2].contains(".") ? args[2] : "dev.graft.bench." + args[2];
    Build a = load("old", Path.of(args[0]), className, args[3], params);
    Build b = load("new", Path.of(args[1]), className, args[3], params);
    int callsA = calibrate(a, warmupSeconds, blockMillis);
    int callsB = calibrate(b, warmupSeconds, blockMillis);
    double[] ta = new double[pairs];
    double[] tb = new double[pairs];
    double[] ratio = new double[pairs];
    for (int p = 0; p < pairs; p++) {
      // Alternate which build goes first, so that neither always follows the other.
      if (p % 2 == 0) {
        ta[p] = a.block(callsA);
        tb[p] = b.block(callsB);
      } else {
        tb[p] = b.block(callsB);
        ta[p] = a.block(callsA);
      }
      ratio[p] = tb[p] / ta[p];
    }
    for (Build build : List.of(a, b)) {
      for (Method m : build.tearDowns()) m.invoke(build.state());
    }
    System.out.printf("%s.%s %s, %d pairs of blocks (%d and %d calls)%n", args[2], args[3], params, pairs, callsA,
        callsB);
    System.out.printf("old %s: min %s, median %s, mean %s%n", args[0], time(min(ta)), time(median(ta)), time(mean(ta)));
    System.out.printf("new %s: min %s, median %s, mean %s%n", args[1], time(min(tb)), time(median(tb)), time(mean(tb)));
    double[] sorted = ratio.clone();
    Arrays.sort(sorted);
    System.out.printf("new/old per pair: median %.3f, quartiles %.3f-%.3f, new faster in %d of %d pairs%n",
        median(ratio), sorted[pairs / 4], sorted[(3 * pairs) / 4], Arrays.stream(ratio).filter(r -> r < 1).count(), pairs);
  }

  private static Build load(String name, Path jar, String className, String methodName, Map<String, String> params)
      throws Exception {
    // The platform loader as parent: each build sees only its own jar's classes (and the JDK's modules).
    URLClassLoader loader = new URLClassLoader(name, new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
    Class<?> c = Class.forName(className, true, loader);
    Object state = c.getConstructor().newInstance();
    for (Map.Entry<String, String> e : params.entrySet()) {
      Field f = c.getDeclaredField(e.getKey()); // JMH's @Param fields may be package-private
      f.setAccessible(true);
      Class<?> t = f.getType();
      String v = e.getValue();
      f.set(state, t == int.class ? Integer.valueOf(v) : t == long.class ? Long.valueOf(v)
          : t == boolean.class ? Boolean.valueOf(v) : t == double.class ? Double.valueOf(v) : v);
    }
    List<Method> tearDowns = new ArrayList<>();
    for (Method m : c.getMethods()) {
      if (annotated(m, "Setup")) m.invoke(state);
      if (annotated(m, "TearDown")) tearDowns.add(m);
    }
    return new Build(state, c.getMethod(methodName), tearDowns);
  }

  private static boolean annotated(Method m, String simpleName) {
    for (Annotation a : m.getAnnotations()) {
      if (a.annotationType().getSimpleName().equals(simpleName)) return true;
    }
    return false;
  }

  /** Runs the build for about {@code seconds}, then returns the calls that fill a block. */
  private static int calibrate(Build build, double seconds, double blockMillis) throws ReflectiveOperationException {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    double perCall = build.block(1);
    while (System.nanoTime() < end) {
      perCall = build.block(Math.max(1, (int) (blockMillis * 1e6 / 4 / perCall)));
    }
    return Math.max(1, (int) Math.round(blockMillis * 1e6 / perCall));
  }

  private static double min(double[] v) {
    return Arrays.stream(v).min().orElseThrow();
  }

  private static double mean(double[] v) {
    return Arrays.stream(v).average().orElseThrow();
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static String time(double nanos) {
    return nanos >= 1e6 ? String.format("%.2f ms", nanos / 1e6) : nanos >= 1e3 ? String.format("%.3f µs", nanos / 1e3)
        : String.format("%.1f ns", nanos);
  }
}
