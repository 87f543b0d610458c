package dev.clipsam.fewshot;

import dev.clipsam.nn.Tensors;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * What a few images of good parts say about the rest (docs/DESIGN.md §8, after APRIL-GAN's few-shot mode): the
 * patch tokens of k normal references at the stages the rough map reads, and the map they give any query.
 *
 * <ul>
 *   <li>Stage map: for each query patch, {@code min over the k·G² memory tokens of (1 − cos)}, cosine as
 *       scikit-learn's (rows L2-normalised, then dot products), computed in chunks of memory rows so that memory
 *       stays bounded for any k.</li>
 *   <li>Each stage map is resized G → S (bilinear, corners aligned); the few-shot map F is their mean over stages
 *       ({@link Combine#SUM}: APRIL-GAN's sum, for reproducing its numbers).</li>
 *   <li>Calibration (k ≥ 2), leave one out: τ is the largest pixel of F over every reference scored against the
 *       other k − 1; the normalised map {@code N = clamp(F / 2τ, 0, 1)} puts a good part's worst pixel at 0.5, the
 *       MMR threshold. With k = 1 there is nothing to calibrate with: {@code N = clamp(F, 0, 1)}.</li>
 * </ul>
 */
public final class ReferenceMemory implements AutoCloseable {

    /** How stage maps combine into F. */
    public enum Combine {
        /** The mean over stages (ours, as for the rough map). */
        MEAN,
        /** The sum over stages (APRIL-GAN). */
        SUM;

        public static Combine parse(String id) {
            return switch (id.toLowerCase(java.util.Locale.ROOT)) {
                case "mean" -> MEAN;
                case "sum" -> SUM;
                default -> throw new IllegalArgumentException("'" + id + "' is not mean or sum");
            };
        }
    }

    /** Bytes of one chunk of similarities (query patches x memory rows, float32). */
    private static final long CHUNK_BYTES = 64L << 20;

    /** Per reference, per stage: {@code [G², C]} rows L2-normalised. */
    private final List<List<Tensor>> references;
    private final int grid;
    private final int size;
    private final Combine combine;
    private final List<Tensor> memory;
    private final double tau;
    private final float[] leaveOneOutMaxima;
    private final int kStored;

    /**
     * @param references per reference image, per stage, {@code [G², C]} patch tokens (row-major grid)
     * @param size       S, the side of the maps (the image size the tokens were computed at)
     */
    public ReferenceMemory(List<List<Tensor>> references, int grid, int size, Combine combine) {
        if (references.isEmpty()) {
            throw new IllegalArgumentException("at least one reference image is needed");
        }
        this.grid = grid;
        this.size = size;
        this.combine = combine;
        this.references = new ArrayList<>();
        this.kStored = references.size();
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            for (List<Tensor> stages : references) {
                List<Tensor> normalised = new ArrayList<>();
                for (Tensor t : stages) {
                    normalised.add(owned(() -> normalise(t)));
                }
                this.references.add(normalised);
            }
            this.memory = new ArrayList<>();
            for (int s = 0; s < stages(); s++) {
                int stage = s;
                memory.add(owned(() -> concat(this.references, stage, -1)));
            }
            int k = references.size();
            leaveOneOutMaxima = new float[k >= 2 ? k : 0];
            double worst = Double.NaN;
            for (int r = 0; k >= 2 && r < k; r++) {
                float[] f;
                try (PointerScope each = new PointerScope()) {   // the k - 1 others' memory, freed per reference
                    List<Tensor> others = new ArrayList<>();
                    for (int s = 0; s < stages(); s++) {
                        others.add(concat(this.references, s, r));
                    }
                    f = combined(stageMaps(this.references.get(r), others));
                }
                float max = Float.NEGATIVE_INFINITY;
                for (float v : f) {
                    max = Math.max(max, v);
                }
                leaveOneOutMaxima[r] = max;
                worst = Double.isNaN(worst) ? max : Math.max(worst, max);
            }
            this.tau = worst;
        }
    }

    /** A memory read back from its artifact: the stacked memory per stage and the calibration (no per-reference rows). */
    private ReferenceMemory(List<Tensor> memory, int k, int grid, int size, Combine combine, double tau,
            float[] leaveOneOutMaxima) {
        this.references = new ArrayList<>();
        this.memory = memory;
        this.kStored = k;
        this.grid = grid;
        this.size = size;
        this.combine = combine;
        this.tau = tau;
        this.leaveOneOutMaxima = leaveOneOutMaxima;
    }

    /** The format of {@link #save} ({@code clipsam refs build}). */
    public static final String FORMAT = "clipsam-refs/1";

    /**
     * Writes the memory as safetensors ({@code stage.<i>}: {@code [k·G², C]} float32 normalised rows) with the
     * calibration and how it was made in the metadata entry {@code clipsam-refs} (JSON).
     */
    public void save(java.nio.file.Path file, java.util.Map<String, String> provenance) throws java.io.IOException {
        java.util.Map<String, Tensor> tensors = new java.util.LinkedHashMap<>();
        for (int s = 0; s < memory.size(); s++) {
            tensors.put("stage." + s, memory.get(s));
        }
        com.fasterxml.jackson.databind.node.ObjectNode meta = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode();
        meta.put("format", FORMAT);
        meta.put("k", k());
        meta.put("grid", grid);
        meta.put("size", size);
        meta.put("combine", combine.name().toLowerCase(java.util.Locale.ROOT));
        if (!Double.isNaN(tau)) {
            meta.put("tau", tau);
        }
        for (float v : leaveOneOutMaxima) {
            meta.withArray("leave_one_out_maxima").add(v);
        }
        provenance.forEach(meta::put);
        dev.clipsam.io.SafeTensorsWriter.write(file, tensors, java.util.Map.of("clipsam-refs", meta.toString()));
    }

    /** The provenance a saved memory was written with ({@code clip_sha256}, {@code stages}, ...), or null. */
    public static com.fasterxml.jackson.databind.JsonNode description(dev.clipsam.io.Checkpoint ckpt) {
        String text = ckpt.metadata().get("clipsam-refs");
        if (text == null) {
            return null;
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
        } catch (java.io.IOException e) {
            throw new dev.clipsam.io.CheckpointException(ckpt.path(), "has unreadable reference metadata");
        }
    }

    /** Reads a memory written by {@link #save}. */
    public static ReferenceMemory load(dev.clipsam.io.Checkpoint ckpt) {
        com.fasterxml.jackson.databind.JsonNode meta = description(ckpt);
        if (meta == null || !FORMAT.equals(meta.path("format").asText())) {
            throw new dev.clipsam.io.CheckpointException(ckpt.path(), "is not a clipsam reference file ("
                    + FORMAT + ", written by clipsam refs build)");
        }
        List<Tensor> memory = new ArrayList<>();
        for (int s = 0; ckpt.contains("stage." + s); s++) {
            int stage = s;
            memory.add(owned(() -> ckpt.loadFinite("stage." + stage, torch.ScalarType.Float)));
        }
        float[] loo = new float[meta.path("leave_one_out_maxima").size()];
        for (int i = 0; i < loo.length; i++) {
            loo[i] = (float) meta.path("leave_one_out_maxima").get(i).asDouble();
        }
        return new ReferenceMemory(memory, meta.path("k").asInt(), meta.path("grid").asInt(), meta.path("size").asInt(),
                Combine.parse(meta.path("combine").asText("mean")), meta.has("tau") ? meta.path("tau").asDouble()
                : Double.NaN, loo);
    }

    public int k() {
        return references.isEmpty() ? kStored : references.size();
    }

    public int stages() {
        return references.isEmpty() ? memory.size() : references.get(0).size();
    }

    public int grid() {
        return grid;
    }

    public int size() {
        return size;
    }

    public Combine combine() {
        return combine;
    }

    /** τ, the calibration (NaN with one reference). */
    public double tau() {
        return tau;
    }

    /** Per reference: the largest pixel of F when it is scored against the other references (empty for k = 1). */
    public float[] leaveOneOutMaxima() {
        return leaveOneOutMaxima.clone();
    }

    /** The memory of a stage, {@code [k·G², C]} normalised rows (what {@code refs build} stores). */
    public Tensor memory(int stage) {
        return memory.get(stage);
    }

    /**
     * Per stage, {@code [G²]}: {@code min over memory of (1 − cos)} for each query patch.
     *
     * @param query per stage {@code [G², C]} (normalised here)
     */
    public float[][] stageMaps(List<Tensor> query) {
        try (PointerScope scope = new PointerScope(); NoGradGuard guard = new NoGradGuard()) {
            List<Tensor> normalised = new ArrayList<>();
            query.forEach(q -> normalised.add(normalise(q)));
            return stageMaps(normalised, memory);
        }
    }

    /** F on the S × S grid (row-major). */
    public float[] map(List<Tensor> query) {
        return combined(stageMaps(query));
    }

    /** N = clamp(F / 2τ, 0, 1), or clamp(F, 0, 1) for one reference. */
    public float[] normalised(List<Tensor> query) {
        return normalise(map(query), tau);
    }

    /** clamp(F / 2τ, 0, 1); {@code tau} NaN (one reference): clamp(F, 0, 1). */
    public static float[] normalise(float[] f, double tau) {
        float[] out = new float[f.length];
        float scale = Double.isNaN(tau) ? 1f : (float) (2 * tau);
        for (int i = 0; i < f.length; i++) {
            out[i] = Math.min(1f, Math.max(0f, f[i] / scale));
        }
        return out;
    }

    /** A stage map resized G → S, bilinear with corners aligned, row-major. */
    public float[] upsample(float[] stageMap) {
        try (PointerScope scope = new PointerScope()) {
            Tensor g = Tensors.fromFloats(stageMap, 1, 1, grid, grid);
            return Tensors.toFloats(torch.upsample_bilinear2d(g, new long[] {size, size}, true));
        }
    }

    /** The stage maps resized and combined (mean or sum over stages). */
    private float[] combined(float[][] stageMaps) {
        float[] out = new float[size * size];
        for (float[] stage : stageMaps) {
            float[] up = upsample(stage);
            for (int i = 0; i < out.length; i++) {
                out[i] += up[i];
            }
        }
        if (combine == Combine.MEAN) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= stageMaps.length;
            }
        }
        return out;
    }

    private static float[][] stageMaps(List<Tensor> query, List<Tensor> memory) {
        float[][] out = new float[query.size()][];
        for (int s = 0; s < query.size(); s++) {
            out[s] = Tensors.toFloats(nearest(query.get(s), memory.get(s)));
        }
        return out;
    }

    /** {@code 1 − max over memory rows of q·m}, memory taken in chunks. */
    private static Tensor nearest(Tensor query, Tensor memory) {
        long n = query.size(0);
        long rows = memory.size(0);
        long chunk = Math.max(1, CHUNK_BYTES / (4 * Math.max(1, n)));
        Tensor best = null;
        for (long start = 0; start < rows; start += chunk) {
            long len = Math.min(chunk, rows - start);
            Tensor previous = best;
            try (PointerScope each = new PointerScope()) {   // one chunk of similarities at a time
                Tensor max = query.matmul(memory.narrow(0, start, len).t()).amax(new long[] {1}, false);
                best = previous == null ? max : torch.maximum(previous, max);
                best.retainReference();
            }
            if (previous != null) {
                previous.releaseReference();
            }
        }
        Tensor out = torch.rsub(best, new Scalar(1.0));   // in the caller's scope
        best.releaseReference();
        return out;
    }

    /** A tensor this memory owns (outside every scope; freed by {@link #close}). */
    private static Tensor owned(java.util.function.Supplier<Tensor> step) {
        try (PointerScope inner = new PointerScope()) {
            Tensor t = step.get();
            t.retainReference();
            return t;
        }
    }

    /** Rows divided by their L2 norms (scikit-learn's {@code normalize}). */
    private static Tensor normalise(Tensor t) {
        Tensor x = t.to(torch.ScalarType.Float).contiguous();
        return x.div(x.norm(new org.bytedeco.pytorch.ScalarOptional(new Scalar(2.0)), new long[] {1}, true));
    }

    /** The stage's tokens of every reference but {@code skip} (-1: all), stacked. */
    private static Tensor concat(List<List<Tensor>> references, int stage, int skip) {
        TensorVector parts = new TensorVector();
        for (int r = 0; r < references.size(); r++) {
            if (r != skip) {
                parts.push_back(references.get(r).get(stage));
            }
        }
        return torch.cat(parts, 0);
    }

    @Override
    public void close() {
        references.forEach(stages -> stages.forEach(Tensor::releaseReference));
        memory.forEach(Tensor::releaseReference);
    }
}
