package dev.clipsam.nn;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.bytedeco.javacpp.ClassProperties;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the native libraries clipsam ships (libtorch, c10, OpenMP, OpenBLAS and their runtime libraries) from its
 * own bundle only, before JavaCPP loads anything.
 *
 * <p>JavaCPP extracts its natives lazily: the first time a process needs {@code libtorch.so} it extracts and loads
 * it, and the dynamic linker resolves its dependency {@code libtorch_cpu.so} before JavaCPP has extracted that
 * one, so it takes whatever the system has (Debian's {@code python3-torch}, a conda PyTorch); two libtorch copies in
 * one process crash it. JavaCPP also "preloads" optional libraries (the CUDA runtime among them) that it finds on
 * the system, even for the CPU build. Here every bundled library is extracted into JavaCPP's cache first and
 * loaded by absolute path, dependencies first, so each later lookup by name finds the library already loaded; the
 * preloads that are not in the bundle are skipped, so JavaCPP never maps a system library.
 *
 * <p>{@code -Dclipsam.natives=system} turns this off (JavaCPP's own loading, which may pick up system libraries).
 */
public final class Natives {

    private static final Logger LOG = LoggerFactory.getLogger(Natives.class);
    /** Linux libraries of the bundle in dependency order: a library's dependencies come before it. */
    private static final List<String[]> LINUX_ORDER = List.of(
            new String[] {"openblas", "libgcc_s.so.1"}, new String[] {"openblas", "libquadmath.so.0"},
            new String[] {"openblas", "libgfortran.so.5"}, new String[] {"openblas", "libopenblas.so.0"},
            new String[] {"pytorch", "libgomp.so.1"}, new String[] {"pytorch", "libc10.so"},
            new String[] {"pytorch", "libtorch_cpu.so"}, new String[] {"pytorch", "libtorch.so"});
    /** The JavaCPP classes whose native libraries clipsam loads (each lists its preloads). */
    private static final List<String> PRESETS = List.of("org.bytedeco.javacpp.presets.javacpp",
            "org.bytedeco.openblas.global.openblas_nolapack", "org.bytedeco.openblas.global.openblas",
            "org.bytedeco.javacpp.global.chrono", "org.bytedeco.pytorch.global.torch");
    private static volatile List<String> loaded;

    private Natives() {
    }

    /** Loads the bundled natives once (later calls return at once); the files loaded, in order. */
    public static List<String> load() {
        List<String> done = loaded;
        if (done != null) {
            return done;
        }
        synchronized (Natives.class) {
            if (loaded == null) {
                loaded = "system".equals(System.getProperty("clipsam.natives")) ? List.of() : loadBundle();
            }
            return loaded;
        }
    }

    private static List<String> loadBundle() {
        String platform = Loader.getPlatform();
        List<String> files = new ArrayList<>();
        if (!platform.startsWith("linux")) {
            return files; // elsewhere the libraries' own search paths are the platform's rules; JavaCPP as is
        }
        skipPreloadsOutsideTheBundle();
        for (String[] lib : LINUX_ORDER) {
            Class<?> anchor = anchor(lib[0]);
            if (anchor == null) {
                continue;
            }
            String resource = "/org/bytedeco/" + lib[0] + "/" + platform + "/" + lib[1];
            if (anchor.getResource(resource) == null) {
                continue;
            }
            try {
                File file = Loader.cacheResource(anchor, resource);
                System.load(file.getAbsolutePath());
                files.add(file.getAbsolutePath());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot extract " + resource + " into JavaCPP's cache: " + e.getMessage(),
                        e);
            }
        }
        LOG.debug("natives loaded from the bundle: {}", files);
        return List.copyOf(files);
    }

    private static Class<?> anchor(String artifact) {
        try {
            return Class.forName(artifact.equals("pytorch") ? "org.bytedeco.pytorch.global.torch"
                    : "org.bytedeco.openblas.global.openblas", false, Natives.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    /**
     * JavaCPP tries every preload its presets list (CUDA, cuDNN, TensorRT, system runtime libraries...) and takes
     * the ones it does not bundle from the system's library paths. It loads a library only once per name, so an
     * entry in its table of loaded libraries makes it skip one: every preload that is not in the bundle is entered
     * there, and no library from outside the bundle is ever mapped.
     */
    /** The name JavaCPP files a loaded preload under: the part after '#' when there is one. */
    private static String key(String preload) {
        int hash = preload.indexOf('#');
        return hash < 0 ? preload : preload.substring(hash + 1);
    }

    /** Whether a JavaCPP library name ({@code name@version}) is a file of one of the bundled native jars. */
    private static boolean bundled(String nameVersion) {
        String[] parts = nameVersion.split("@");
        String name = parts[0];
        String version = parts.length > 1 ? parts[parts.length - 1] : "";
        String platform = Loader.getPlatform();
        for (String artifact : List.of("javacpp", "openblas", "pytorch")) {
            for (String file : List.of("lib" + name + ".so" + version, "lib" + name + version + ".so",
                    "lib" + name + ".so")) {
                if (Natives.class.getResource("/org/bytedeco/" + artifact + "/" + platform + "/" + file) != null) {
                    return true;
                }
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    private static void skipPreloadsOutsideTheBundle() {
        try {
            Field field = Loader.class.getDeclaredField("loadedLibraries");
            field.setAccessible(true);
            Map<String, String> table = (Map<String, String>) field.get(null);
            Properties platform = Loader.loadProperties();
            List<String> preloads = new ArrayList<>();
            for (String name : PRESETS) {
                try {
                    Class<?> preset = Class.forName(name, false, Natives.class.getClassLoader());
                    ClassProperties properties = Loader.loadProperties(preset, platform, true);
                    preloads.addAll(properties.get("platform.preload"));
                    preloads.addAll(properties.get("platform.link"));
                } catch (ClassNotFoundException e) {
                    // an artifact clipsam was built without: nothing of it is loaded
                }
            }
            // "a#b" extracts bundled library a under the name b; b then counts as bundled too.
            Set<String> provided = new HashSet<>();
            for (String preload : preloads) {
                if (bundled(preload.split("#")[0])) {
                    provided.add(key(preload));
                }
            }
            for (String preload : preloads) {
                if (!provided.contains(key(preload))) {
                    table.putIfAbsent(key(preload), "(not loaded: not in clipsam's bundle)");
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot keep JavaCPP from loading system libraries ({}); set -Dclipsam.natives=system to"
                    + " silence this", e.toString());
        }
    }
}
