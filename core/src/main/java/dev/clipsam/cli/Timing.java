package dev.clipsam.cli;

import org.bytedeco.javacpp.PointerScope;

/** Wall-clock timing of a repeated step for the benchmarks: untimed warm-up runs, then timed runs. */
record Timing(double mean, double min) {

    /** A step to time; it runs inside its own {@code PointerScope}. */
    @FunctionalInterface
    interface Step {
        void run(int index);
    }

    static Timing measure(int warmup, int runs, Step step) {
        double total = 0;
        double min = Double.MAX_VALUE;
        for (int i = 0; i < warmup + runs; i++) {
            long start = System.nanoTime();
            try (PointerScope scope = new PointerScope()) {
                step.run(i);
            }
            double s = (System.nanoTime() - start) / 1e9;
            if (i >= warmup) {
                total += s;
                min = Math.min(min, s);
            }
        }
        return new Timing(total / runs, min);
    }

    /** How far a lower-precision result is from fp32, relative to the fp32 scale. */
    static String deviation(float[] fp32, float[] other, String otherName, String what) {
        double maxAbs = 0;
        double maxDiff = 0;
        double diff2 = 0;
        double ref2 = 0;
        for (int i = 0; i < fp32.length; i++) {
            double d = (double) other[i] - fp32[i];
            maxAbs = Math.max(maxAbs, Math.abs(fp32[i]));
            maxDiff = Math.max(maxDiff, Math.abs(d));
            diff2 += d * d;
            ref2 += (double) fp32[i] * fp32[i];
        }
        return String.format("%s vs fp32, %s: relative L2 error %.2e, max |diff| %.3g (max |fp32| %.3g)", otherName,
                what, Math.sqrt(diff2 / ref2), maxDiff, maxAbs);
    }
}
