package dev.clipsam.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * One image's line of results, the same record behind {@code results.csv} and {@code results.json}.
 *
 * @param image          the image file as given
 * @param name           its output name (relative path without extension)
 * @param className      the class name in its prompts
 * @param score          the image's anomaly score (max of the final map, 0..1)
 * @param topMean        mean of the final map's 100 largest values
 * @param defectFraction share of the image in the mask
 * @param boxes          SAM's boxes in image pixels ({@code x0, y0, x1, y1}), one per refined region
 * @param threshold      the mask threshold used
 * @param mask           the mask file, relative to the output folder
 * @param overlay        the overlay file, relative to the output folder
 * @param map            the saved final map, relative to the output folder, or null
 * @param seconds        seconds per stage
 */
public record PredictionRow(String image, String name, String className, double score, double topMean,
        double defectFraction, List<double[]> boxes, double threshold, String mask, String overlay, String map,
        Timings seconds) {

    /** The columns of {@code results.csv}, in order. */
    public static final List<String> CSV_HEADER = List.of("image", "name", "class_name", "score",
            "score_top100_mean", "defect_fraction", "regions", "threshold", "mask", "overlay", "seconds");

    private static final ObjectMapper JSON = new ObjectMapper();

    public PredictionRow {
        boxes = List.copyOf(boxes);
    }

    public int regions() {
        return boxes.size();
    }

    /** The CSV cells, in {@link #CSV_HEADER} order. */
    public List<Object> csvValues() {
        return List.of(image, name, className, score, topMean, defectFraction, regions(), threshold, mask, overlay,
                String.format(Locale.ROOT, "%.3f", seconds.total()));
    }

    /** A row read back from its {@link #toJson} form. */
    public static PredictionRow fromJson(com.fasterxml.jackson.databind.JsonNode row) {
        List<double[]> boxes = new java.util.ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode b : row.path("boxes")) {
            double[] box = new double[b.size()];
            for (int i = 0; i < box.length; i++) {
                box[i] = b.get(i).asDouble();
            }
            boxes.add(box);
        }
        com.fasterxml.jackson.databind.JsonNode t = row.path("seconds");
        return new PredictionRow(row.path("image").asText(), row.path("name").asText(),
                row.path("class_name").asText(), row.path("score").asDouble(), row.path("score_top100_mean").asDouble(),
                row.path("defect_fraction").asDouble(), boxes, row.path("threshold").asDouble(),
                row.path("mask").asText(), row.path("overlay").asText(),
                row.path("map").isTextual() ? row.path("map").asText() : null, new Timings(t.path("clip").asDouble(),
                        t.path("head").asDouble(), t.path("sam_encoder").asDouble(), t.path("sam_decoder").asDouble()));
    }

    /** The JSON object: the CSV's fields plus the boxes, the map file and seconds per stage. */
    public ObjectNode toJson() {
        ObjectNode row = JSON.createObjectNode();
        row.put("image", image);
        row.put("name", name);
        row.put("class_name", className);
        row.put("score", score);
        row.put("score_top100_mean", topMean);
        row.put("defect_fraction", defectFraction);
        row.put("regions", regions());
        ArrayNode list = row.putArray("boxes");
        for (double[] b : boxes) {
            ArrayNode box = list.addArray();
            for (double v : b) {
                box.add(v);
            }
        }
        row.put("threshold", threshold);
        row.put("mask", mask);
        row.put("overlay", overlay);
        row.put("map", map);
        ObjectNode t = row.putObject("seconds");
        t.put("clip", seconds.clip());
        t.put("head", seconds.head());
        t.put("sam_encoder", seconds.samEncoder());
        t.put("sam_decoder", seconds.samDecoder());
        t.put("total", seconds.total());
        return row;
    }
}
