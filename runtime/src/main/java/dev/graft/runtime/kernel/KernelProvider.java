package dev.graft.runtime.kernel;

import java.lang.reflect.Method;
import java.util.Locale;

/**
 * Chooses the kernel library, following the pattern Lucene uses for its Panama code.
 *
 * <p>The Vector API implementation ({@value #SIMD_CLASS}, in the optional
 * {@code graft-runtime-simd} artifact) is loaded by class name, and only when all of these hold:
 * {@code -Dgraft.simd} is not {@code false}; the module {@code jdk.incubator.vector} is in the
 * boot layer (the JVM was started with {@code --add-modules jdk.incubator.vector}) and readable;
 * the JIT is C2 (not {@code -Xint}, not a client VM, not {@code -XX:TieredStopAtLevel} below 4).
 * Otherwise {@link ScalarKernels} is used. Every probe is guarded, so on a JVM without modules or
 * {@code java.lang.management} (Android) the result is simply scalar. The decision is logged
 * once per JVM, at INFO, with the reason.
 */
public final class KernelProvider {
  /** The class loaded by name when the Vector API is usable. */
  public static final String SIMD_CLASS = "dev.graft.runtime.simd.VectorKernels";
  /** The system property that forces scalar kernels when set to {@code false}. */
  public static final String SIMD_PROPERTY = "graft.simd";
  private static final String VECTOR_MODULE = "jdk.incubator.vector";

  private static final Object LOCK = new Object();
  private static volatile boolean logged;
  /** Cached: why the SIMD library cannot be used, or null when it can. Set once. */
  private static volatile String scalarReason;
  private static volatile boolean decided;

  private KernelProvider() {}

  /** The best kernel library available on this JVM, working on {@code pool}. */
  public static Kernels create(ThreadPool pool) {
    String reason = decide();
    Kernels kernels = null;
    if (reason == null) {
      try {
        kernels = instantiateSimd(pool);
      } catch (Throwable t) {
        reason = "could not load " + SIMD_CLASS + ": " + t;
        synchronized (LOCK) {
          scalarReason = reason;
        }
      }
    }
    if (kernels == null) {
      kernels = new ScalarKernels(pool);
      log("Graft kernels: scalar (" + reason + ")");
    } else {
      log("Graft kernels: " + kernels.description());
    }
    return kernels;
  }

  /** The plain-Java kernels, whatever the JVM offers; for tests and comparisons. */
  public static Kernels scalar(ThreadPool pool) {
    return new ScalarKernels(pool);
  }

  /** Null when SIMD may be tried, else the reason it may not. */
  private static String decide() {
    if (decided) {
      return scalarReason;
    }
    synchronized (LOCK) {
      if (!decided) {
        scalarReason = probe();
        decided = true;
      }
      return scalarReason;
    }
  }

  private static String probe() {
    try {
      String prop = System.getProperty(SIMD_PROPERTY);
      if (prop != null && prop.trim().equalsIgnoreCase("false")) {
        return "-D" + SIMD_PROPERTY + "=false";
      }
    } catch (SecurityException e) {
      // Not allowed to read it: keep going with the default.
    }
    String moduleProblem = vectorModuleProblem();
    if (moduleProblem != null) {
      return moduleProblem;
    }
    String jitProblem = jitProblem();
    if (jitProblem != null) {
      return jitProblem;
    }
    try {
      Class.forName(SIMD_CLASS, false, KernelProvider.class.getClassLoader());
    } catch (Throwable t) {
      return SIMD_CLASS + " not on the class path; add graft-runtime-simd";
    }
    return null;
  }

  private static String vectorModuleProblem() {
    try {
      java.util.Optional<Module> vector = ModuleLayer.boot().findModule(VECTOR_MODULE);
      if (!vector.isPresent()) {
        return VECTOR_MODULE + " not available; run with --add-modules " + VECTOR_MODULE;
      }
      Module self = KernelProvider.class.getModule();
      if (!self.canRead(vector.get())) {
        self.addReads(vector.get());
      }
      return null;
    } catch (Throwable t) {
      // No module system (Android, or a very old JVM).
      return VECTOR_MODULE + " not available (" + t.getClass().getSimpleName() + ")";
    }
  }

  /** Null if C2 looks available, else why it is not. */
  static String jitProblem() {
    try {
      String info = System.getProperty("java.vm.info", "");
      if (info.toLowerCase(Locale.ROOT).contains("interpreted mode")) {
        return "interpreter only (-Xint); the Vector API needs C2";
      }
      String vmName = System.getProperty("java.vm.name", "");
      if (vmName.contains("Client VM")) {
        return "client VM; the Vector API needs C2";
      }
    } catch (SecurityException e) {
      // Carry on with the checks below.
    }
    String level = hotSpotOption("TieredStopAtLevel");
    if (level != null) {
      try {
        if (Integer.parseInt(level.trim()) < 4) {
          return "-XX:TieredStopAtLevel=" + level.trim() + " disables C2";
        }
      } catch (NumberFormatException e) {
        // Unknown format: ignore.
      }
    }
    String useCompiler = hotSpotOption("UseCompiler");
    if ("false".equals(useCompiler)) {
      return "-XX:-UseCompiler; the Vector API needs C2";
    }
    return null;
  }

  /**
   * The value of a HotSpot VM option through the diagnostic MXBean, looked up reflectively so
   * that nothing here links against {@code java.lang.management}; null if unavailable.
   */
  private static String hotSpotOption(String name) {
    try {
      Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
      Class<?> beanType = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
      Method getBean = factory.getMethod("getPlatformMXBean", Class.class);
      Object bean = getBean.invoke(null, beanType);
      if (bean == null) {
        return null;
      }
      Object option = beanType.getMethod("getVMOption", String.class).invoke(bean, name);
      Object value = option.getClass().getMethod("getValue").invoke(option);
      return value == null ? null : value.toString();
    } catch (Throwable t) {
      return null;
    }
  }

  private static Kernels instantiateSimd(ThreadPool pool) throws ReflectiveOperationException {
    Class<?> type = Class.forName(SIMD_CLASS, true, KernelProvider.class.getClassLoader());
    Object instance = type.getConstructor(ThreadPool.class).newInstance(pool);
    return (Kernels) instance;
  }

  private static void log(String message) {
    if (logged) {
      return;
    }
    synchronized (LOCK) {
      if (logged) {
        return;
      }
      logged = true;
    }
    try {
      System.getLogger(KernelProvider.class.getName()).log(System.Logger.Level.INFO, message);
    } catch (Throwable t) {
      // No System.Logger (Android): stay quiet rather than fail.
    }
  }
}
