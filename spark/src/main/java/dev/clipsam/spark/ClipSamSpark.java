package dev.clipsam.spark;

import dev.clipsam.engine.ClipSam;
import dev.clipsam.engine.InputImages;
import dev.clipsam.engine.MapStore;
import dev.clipsam.engine.ModelIdentity;
import dev.clipsam.engine.Prediction;
import dev.clipsam.image.Image8;
import dev.clipsam.image.ImageFiles;
import dev.clipsam.image.ImageWriter;
import dev.clipsam.io.Npy;
import dev.clipsam.nn.TorchRuntime;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FilterFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;
import scala.jdk.javaapi.CollectionConverters;

/**
 * ClipSAM over a Spark DataFrame of images: the engine's prediction, distributed. Each partition borrows an engine
 * of its executor ({@link ExecutorEngines}: models load once per executor, not per task), runs libtorch with
 * {@code spark.task.cpus} threads, and turns every image into one row of {@link #schema}. An image that cannot be
 * read or scored becomes a row with {@code error} set; it never fails the job. Rows depend only on the image and the
 * options (MMR's sampling starts from the same seed for every image), not on partitioning or order.
 */
public final class ClipSamSpark {

    private static final StructType REGION = new StructType()
            .add("box", DataTypes.createArrayType(DataTypes.DoubleType), false)
            .add("points", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.DoubleType)), false)
            .add("sam_scores", DataTypes.createArrayType(DataTypes.DoubleType), false);
    private static final StructType SECONDS = new StructType().add("clip", DataTypes.DoubleType)
            .add("head", DataTypes.DoubleType).add("sam_encoder", DataTypes.DoubleType)
            .add("sam_decoder", DataTypes.DoubleType).add("total", DataTypes.DoubleType);
    private static final StructType MODEL = new StructType().add("clip", DataTypes.StringType)
            .add("clip_sha256", DataTypes.StringType).add("sam", DataTypes.StringType)
            .add("head", DataTypes.StringType).add("precision", DataTypes.StringType)
            .add("image_size", DataTypes.IntegerType);

    private ClipSamSpark() {
    }

    /**
     * The images under a location (a file, a folder searched recursively, a glob, any Hadoop URI) through Spark's
     * {@code binaryFile} source: the image files by extension, without ground-truth masks ({@link
     * InputImages#isGroundTruthPath}).
     */
    public static Dataset<Row> readImages(SparkSession spark, String location) {
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(location);
        return files.filter((FilterFunction<Row>) r -> isImage(r.getAs("path")));
    }

    static boolean isImage(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        int dot = lower.lastIndexOf('.');
        return dot > 0 && ImageFiles.EXTENSIONS.contains(lower.substring(dot + 1)) && !InputImages.isGroundTruthPath(
                path);
    }

    /** The result columns: {@code mask_png} only with masks, {@code map} only when maps are saved. */
    public static StructType schema(ScoreOptions options) {
        StructType s = new StructType().add("path", DataTypes.StringType, false)
                .add("class_name", DataTypes.StringType)
                .add("score", DataTypes.DoubleType).add("score_top100_mean", DataTypes.DoubleType)
                .add("defect_fraction", DataTypes.DoubleType).add("threshold", DataTypes.DoubleType)
                .add("regions", DataTypes.createArrayType(REGION));
        if (options.withMasks()) {
            s = s.add("mask_png", DataTypes.BinaryType);
        }
        if (options.saveMaps() != null) {
            s = s.add("map", DataTypes.StringType);
        }
        return s.add("seconds", SECONDS).add("model", MODEL).add("error", DataTypes.StringType);
    }

    /**
     * Scores every row of {@code images}: its {@link ScoreOptions#pathColumn} (string) names the image, its
     * {@link ScoreOptions#contentColumn} (binary) holds the file's bytes. Lazy, like any DataFrame: the work happens
     * when the result is written or collected.
     */
    public static Dataset<Row> score(SparkSession spark, Dataset<Row> images, ScoreOptions options) {
        List<String> columns = List.of(images.columns());
        for (String c : List.of(options.pathColumn(), options.contentColumn())) {
            if (!columns.contains(c)) {
                throw new IllegalArgumentException("the images have no column '" + c + "' (they have " + columns
                        + ")");
            }
        }
        StructType schema = schema(options);
        MapPartitionsFunction<Row, Row> scorer = rows -> scorePartition(rows, options);
        return images.select(options.pathColumn(), options.contentColumn()).mapPartitions(scorer,
                Encoders.row(schema));
    }

    private static Iterator<Row> scorePartition(Iterator<Row> rows, ScoreOptions options) {
        TaskContext task = TaskContext.get();
        TorchRuntime.configureThreads(task == null ? 0 : task.cpus());
        ClipSam engine = ExecutorEngines.borrow(options);
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) t -> ExecutorEngines.release(options, engine));
        }
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return rows.hasNext();
            }

            @Override
            public Row next() {
                Row in = rows.next();
                return scoreImage(engine, options, in.getString(0), in.getAs(1));
            }
        };
    }

    /** One image's row; every problem with the image is the row's error, never an exception. */
    static Row scoreImage(ClipSam engine, ScoreOptions options, String path, byte[] content) {
        String className = options.classFromPath() ? ClassFolders.classOf(path) : options.className();
        ModelIdentity id = engine.identity();
        Row model = RowFactory.create(id.clip(), id.clipSha256(), id.sam(), id.head(), id.precision(), id.imageSize());
        List<Object> v = new ArrayList<>();
        try {
            if (content == null || content.length == 0) {
                throw new IllegalArgumentException("the file is empty");
            }
            Image8 image = ImageFiles.read(content, fileName(path));
            Prediction p = engine.predict(image, className);
            Prediction.AtImageSize full = p.atImageSize();
            List<Row> regions = new ArrayList<>();
            for (Prediction.Region r : p.regionList()) {
                List<Object> points = new ArrayList<>();
                for (double[] xy : r.points()) {
                    points.add(seq(xy));
                }
                regions.add(RowFactory.create(seq(r.box()), CollectionConverters.asScala(points).toSeq(),
                        seq(r.samScores())));
            }
            v.addAll(List.of(path, className == null ? "object" : className, p.score(), p.topMean(),
                    full.defectFraction(), p.threshold(), CollectionConverters.asScala(regions).toSeq()));
            if (options.withMasks()) {
                v.add(ImageWriter.png(ImageWriter.toBufferedImage(ImageWriter.maskImage(full.mask(), image.width(),
                        image.height()))));
            }
            if (options.saveMaps() != null) {
                v.add(saveMap(options.saveMaps(), mapKey(path, className), p));
            }
            v.add(RowFactory.create(p.timings().clip(), p.timings().head(), p.timings().samEncoder(),
                    p.timings().samDecoder(), p.timings().total()));
            v.add(model);
            v.add(null);
        } catch (RuntimeException | IOException | OutOfMemoryError e) {
            // an error row: every column null but the image, its class, the model and the error
            StructType schema = schema(options);
            Object[] row = new Object[schema.length()];
            row[schema.fieldIndex("path")] = path;
            row[schema.fieldIndex("class_name")] = className == null ? "object" : className;
            row[schema.fieldIndex("model")] = model;
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            row[schema.fieldIndex("error")] = message.startsWith(fileName(path)) ? message
                    : fileName(path) + ": " + message;
            return RowFactory.create(row);
        }
        return RowFactory.create(v.toArray());
    }

    /** {@code <class>/<defect>/<stem>}: the image's class, the folder it lies in, its name without extension. */
    static String mapKey(String path, String className) {
        String[] parts = path.split("/");
        String folder = parts.length >= 2 ? parts[parts.length - 2] : "images";
        return (className == null ? "object" : className) + "/" + folder + "/" + MapStore.stem(parts[parts.length - 1]);
    }

    private static String saveMap(String root, String key, Prediction p) throws IOException {
        org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(root, key + ".npy");
        org.apache.hadoop.fs.Path partial = new org.apache.hadoop.fs.Path(root, key + ".npy."
                + TaskContext.get().taskAttemptId() + ".part");
        FileSystem fs = target.getFileSystem(new Configuration());
        try (OutputStream out = fs.create(partial, true)) {
            out.write(Npy.bytes(p.finalMap(), p.grid(), p.grid()));
        }
        fs.delete(target, false);
        if (!fs.rename(partial, target)) {
            throw new IOException(target + ": cannot move the map into place");
        }
        return target.toString();
    }

    private static String fileName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static scala.collection.immutable.Seq<Object> seq(double[] values) {
        List<Object> list = new ArrayList<>(values.length);
        for (double d : values) {
            list.add(d);
        }
        return CollectionConverters.asScala(list).toSeq();
    }

    /** Class names from folders, looked up once per folder and executor through the folder's file system. */
    static final class ClassFolders {
        private static final Map<String, String> BY_FOLDER = new ConcurrentHashMap<>();
        private static final int LEVELS = 4;
        private static final java.util.Set<String> SPLITS = java.util.Set.of("test", "train");

        private ClassFolders() {
        }

        /** The nearest folder above the image holding {@code good/} or {@code test/}, as predict names classes. */
        static String classOf(String path) {
            org.apache.hadoop.fs.Path folder = new org.apache.hadoop.fs.Path(path).getParent();
            String found = BY_FOLDER.computeIfAbsent(folder.toString(), f -> lookUp(folder));
            return found.isEmpty() ? null : found;
        }

        private static String lookUp(org.apache.hadoop.fs.Path folder) {
            try {
                FileSystem fs = folder.getFileSystem(new Configuration());
                org.apache.hadoop.fs.Path dir = folder;
                for (int level = 0; level < LEVELS && dir != null; level++, dir = dir.getParent()) {
                    if (SPLITS.contains(dir.getName())) {
                        continue;   // MVTec's test/ holds good/, but the class is the folder above
                    }
                    if (fs.isDirectory(new org.apache.hadoop.fs.Path(dir, "good"))
                            || fs.isDirectory(new org.apache.hadoop.fs.Path(dir, "test"))) {
                        return dir.getName();
                    }
                }
                return "";
            } catch (IOException e) {
                return "";
            }
        }
    }
}
