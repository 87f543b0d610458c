package dev.clipsam.eval;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Sorting the score keys of a whole class (hundreds of millions of ints) in place and on every core: one in-place
 * radix partition into 1024 buckets by the high bits of the key range (American flag sort), then each bucket sorted
 * by {@link Arrays#sort} in parallel. No buffer the size of the input is needed, unlike {@link Arrays#parallelSort}
 * or an LSD radix sort.
 */
final class IntSort {

    private static final int BUCKETS = 1024;
    private static final int SMALL = 1 << 16;

    private IntSort() {
    }

    static void sort(int[] a, int from, int to) {
        if (to - from < SMALL) {
            Arrays.sort(a, from, to);
            return;
        }
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int i = from; i < to; i++) {
            min = Math.min(min, a[i]);
            max = Math.max(max, a[i]);
        }
        long range = (long) max - min;
        if (range == 0) {
            return;
        }
        int shift = Math.max(0, 64 - Long.numberOfLeadingZeros(range) - Integer.numberOfTrailingZeros(BUCKETS));
        int[] count = new int[BUCKETS];
        for (int i = from; i < to; i++) {
            count[(int) (((long) a[i] - min) >>> shift)]++;
        }
        int[] start = new int[BUCKETS + 1];
        start[0] = from;
        for (int b = 0; b < BUCKETS; b++) {
            start[b + 1] = start[b] + count[b];
        }
        int[] next = Arrays.copyOf(start, BUCKETS);
        for (int b = 0; b < BUCKETS; b++) {
            int end = start[b + 1];
            while (next[b] < end) {
                int v = a[next[b]];
                int target = (int) (((long) v - min) >>> shift);
                while (target != b) {
                    int displaced = a[next[target]];
                    a[next[target]++] = v;
                    v = displaced;
                    target = (int) (((long) v - min) >>> shift);
                }
                a[next[b]++] = v;
            }
        }
        IntStream.range(0, BUCKETS).parallel().forEach(b -> Arrays.sort(a, start[b], start[b + 1]));
    }
}
