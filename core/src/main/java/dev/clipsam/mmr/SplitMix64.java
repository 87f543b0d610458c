package dev.clipsam.mmr;

/**
 * The portable random numbers of MMR point sampling (docs/DESIGN.md §5): SplitMix64, bit for bit the generator
 * behind {@code java.util.SplittableRandom(seed).nextLong()}, with the uniform and index draws written out so that
 * any language reproduces them. {@code SplittableRandom.nextInt(bound)} is deliberately not used: it mixes and
 * rejects differently.
 */
public final class SplitMix64 {

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    /** The seed's 64 bits are the initial state. */
    public SplitMix64(long seed) {
        this.state = seed;
    }

    public long next() {
        state += GOLDEN_GAMMA;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1): the top 53 bits of {@link #next}, exactly. */
    public double uniform() {
        return (next() >>> 11) * 0x1.0p-53;
    }

    /** {@code floor(uniform() * n)}, always in [0, n). */
    public int index(int n) {
        return (int) (uniform() * n);
    }

    /**
     * m of the indices 0..n-1 without replacement, in selection order, by a partial forward Fisher-Yates shuffle.
     * When {@code n <= m} every index is returned in increasing order and nothing is drawn.
     */
    public int[] sample(int n, int m) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        if (n <= m) {
            return a;
        }
        for (int k = 0; k < m; k++) {
            int r = k + index(n - k);
            int t = a[k];
            a[k] = a[r];
            a[r] = t;
        }
        return java.util.Arrays.copyOf(a, m);
    }
}
