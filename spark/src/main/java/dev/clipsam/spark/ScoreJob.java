package dev.clipsam.spark;

import dev.clipsam.io.CheckpointException;
import dev.clipsam.mmr.MmrConfig;
import dev.clipsam.nn.Precision;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code clipsam-spark}: the Spark job. {@code score} reads images through Spark's {@code binaryFile} source, scores
 * them with {@link ClipSamSpark#score} and writes the rows through Spark's writers (their commit protocol: a failed
 * job leaves no half-written output). Runs in local mode from the build, or through {@code spark-submit} on a
 * cluster.
 *
 * <p>Exit codes: 0 every image scored; 1 the job ran but some images gave error rows; 2 unusable input (bad options,
 * an output that exists, a checkpoint that is missing or wrong), one line on stderr; 3 the job failed.
 */
@Command(name = "clipsam-spark", mixinStandardHelpOptions = true, subcommands = ScoreJob.Score.class,
        description = "ClipSAM batch scoring on Apache Spark.")
public final class ScoreJob {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the job's command line and returns its exit code (tests call this). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new ScoreJob());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("clipsam-spark: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return 2;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            boolean input = e instanceof IllegalArgumentException || e instanceof CheckpointException
                    || e instanceof dev.clipsam.engine.RunException;
            commandLine.getErr().println("clipsam-spark: " + (input ? "" : "job failed: ") + message(e));
            commandLine.getErr().flush();
            return input ? 2 : 3;
        });
        return cli.execute(args);
    }

    private static String message(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        String m = root.getMessage() == null ? root.toString() : root.getMessage();
        int line = m.indexOf('\n');
        return line < 0 ? m : m.substring(0, line);
    }

    enum Format { PARQUET, JSON, CSV }

    enum Mode { ERROR, OVERWRITE }

    @Command(name = "score", mixinStandardHelpOptions = true, description = "Score every image under --input and "
            + "write one row per image to --output.")
    static final class Score implements Callable<Integer> {

        @Option(names = "--input", required = true, paramLabel = "PATH", description = "Images: a file, a folder "
                + "(searched recursively; ground-truth masks are left out), a glob or any Hadoop URI.")
        String input;

        @Option(names = "--output", required = true, paramLabel = "PATH", description = "Where the rows go (a Spark "
                + "output folder; any Hadoop URI).")
        String output;

        @Option(names = "--format", defaultValue = "parquet", paramLabel = "F", description = "parquet, json or csv "
                + "(csv: nested columns as JSON text, the mask as base64). Default: ${DEFAULT-VALUE}.")
        Format format;

        @Option(names = "--mode", defaultValue = "error", paramLabel = "M", description = "error: refuse an --output "
                + "that exists (default); overwrite: replace it.")
        Mode mode;

        @Option(names = "--head", paramLabel = "FILE", description = "Trained head (.safetensors).")
        String head;

        @Option(names = "--clip", paramLabel = "FILE", description = "CLIP checkpoint (default: ViT-L/14@336 in the "
                + "clipsam home of each executor).")
        String clip;

        @Option(names = "--sam", paramLabel = "FILE", description = "SAM checkpoint (default: ViT-H there).")
        String sam;

        @Option(names = "--refs", split = ",", paramLabel = "PATH", description = "Images of good parts (files or "
                + "folders) for the few-shot map; without --head, the training-free mode.")
        List<String> refs = List.of();

        @Option(names = "--image-size", defaultValue = "518", description = "CLIP input size without a head.")
        int imageSize;

        @Option(names = "--stages", split = ",", defaultValue = "6,12,18,24", description = "CLIP blocks without a "
                + "head.")
        List<Integer> stages;

        @Option(names = "--class-name", paramLabel = "NAME", description = "Class name in every image's prompts.")
        String className;

        @Option(names = "--class-from-path", description = "Take each image's class from its path: the nearest folder"
                + " holding good/ or test/ (MVTec AD and the folder layout).")
        boolean classFromPath;

        @Option(names = "--with-masks", description = "Add the mask as a PNG (column mask_png).")
        boolean withMasks;

        @Option(names = "--save-maps", paramLabel = "DIR", description = "Also write each final map as "
                + "DIR/<class>/<defect>/<stem>.npy, the layout clipsam metrics --dataset reads.")
        String saveMaps;

        @Option(names = "--no-sam", description = "Rough map only (no SAM).")
        boolean noSam;

        @Option(names = "--threshold", paramLabel = "T", description = "Mask threshold in [0, 1] (default: the "
                + "head's).")
        Double threshold;

        @Option(names = "--precision", defaultValue = "fp32", description = "fp32, bf16 or int8.")
        Precision precision;

        @Option(names = "--seed", defaultValue = "0", description = "MMR's sampling seed (the same for every image).")
        long seed;

        @Option(names = "--mmr-threshold", defaultValue = "0.5", paramLabel = "T", description = "Rough-map level"
                + " above which a region goes to SAM (default: ${DEFAULT-VALUE}; 1: SAM never runs).")
        double mmrThreshold;

        @Option(names = "--partitions", paramLabel = "N", description = "Spread the images over N partitions (default:"
                + " one per input split).")
        Integer partitions;

        @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else "
                + "local[*]).")
        String master;

        @Override
        public Integer call() throws IOException {
            if (partitions != null && partitions < 1) {
                throw new IllegalArgumentException("--partitions " + partitions + " must be at least 1");
            }
            if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
                throw new IllegalArgumentException("--threshold " + threshold + " is not a number in [0, 1]");
            }
            if (!(mmrThreshold >= 0 && mmrThreshold <= 1)) {
                throw new IllegalArgumentException("--mmr-threshold " + mmrThreshold + " is not a number in [0, 1]");
            }
            MmrConfig mmr = new MmrConfig(mmrThreshold, MmrConfig.DEFAULT.minArea(),
                    MmrConfig.DEFAULT.points(), MmrConfig.DEFAULT.mode(), seed);
            ScoreOptions options = ScoreOptions.builder().head(head).clip(clip).sam(sam).refs(refs).useSam(!noSam)
                    .precision(precision).threshold(threshold).mmr(mmr).imageSize(imageSize).stages(stages)
                    .className(className).classFromPath(classFromPath).withMasks(withMasks).saveMaps(saveMaps)
                    .build();
            SparkSession.Builder builder = SparkSession.builder().appName("clipsam-spark score");
            String configured = System.getProperty("spark.master");
            if (master != null || configured == null) {
                builder.master(master != null ? master : "local[*]");
            }
            if (master == null ? configured == null || configured.startsWith("local") : master.startsWith("local")) {
                // local mode listens on loopback only and keeps Spark's SQL warehouse out of the working folder
                builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                        .config("spark.ui.enabled", "false").config("spark.sql.warehouse.dir",
                                java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "clipsam-spark-warehouse")
                                        .toUri().toString());
            }
            long t0 = System.nanoTime();
            // a session the caller started (a notebook, a test) is used and left running; one started here is stopped
            boolean own = SparkSession.getDefaultSession().isEmpty();
            SparkSession spark = builder.getOrCreate();
            try {
                org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(output);
                FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
                if (mode == Mode.ERROR && fs.exists(out)) {
                    throw new IllegalArgumentException("--output " + output + ": exists (--mode overwrite replaces "
                            + "it)");
                }
                org.apache.hadoop.fs.Path in = new org.apache.hadoop.fs.Path(input);
                org.apache.hadoop.fs.FileStatus[] found = in.getFileSystem(spark.sparkContext().hadoopConfiguration())
                        .globStatus(in);
                if (found == null || found.length == 0) {
                    throw new IllegalArgumentException("--input " + input + ": no such file or folder");
                }
                Dataset<Row> images = ClipSamSpark.readImages(spark, input);
                if (images.select("path").isEmpty()) {
                    throw new IllegalArgumentException("--input " + input + ": no images ("
                            + String.join(", ", new java.util.TreeSet<>(dev.clipsam.image.ImageFiles.EXTENSIONS))
                            + ") there");
                }
                if (spark.sparkContext().isLocal()) {
                    // local mode: the driver is the executor; opening its engine now checks every checkpoint and
                    // setting before any task runs, and the tasks reuse it
                    ExecutorEngines.release(options, ExecutorEngines.borrow(options));
                }
                if (partitions != null) {
                    images = images.repartition(partitions);
                }
                Dataset<Row> rows = ClipSamSpark.score(spark, images, options);
                if (format == Format.CSV) {
                    rows = flatForCsv(rows);
                }
                String f = format.name().toLowerCase(Locale.ROOT);
                rows.write().mode(mode == Mode.OVERWRITE ? SaveMode.Overwrite : SaveMode.ErrorIfExists).format(f)
                        .option("header", "true").option("ignoreNullFields", "false").save(output);
                // the summary counts what was written, without scoring again
                Dataset<Row> written = spark.read().format(f).schema(rows.schema()).option("header", "true")
                        .load(output);
                long total = written.count();
                List<Row> errors = written.filter(functions.col("error").isNotNull()).select("error").limit(5)
                        .collectAsList();
                long failed = written.filter(functions.col("error").isNotNull()).count();
                for (Row e : errors) {
                    System.err.println("clipsam-spark: " + e.getString(0));
                }
                System.out.printf(Locale.ROOT, "clipsam-spark: %d images scored, %d with errors, in %.1f s -> %s%n",
                        total - failed, failed, (System.nanoTime() - t0) / 1e9, output);
                return failed == 0 ? 0 : 1;
            } finally {
                if (own) {
                    spark.stop();
                }
            }
        }

        /** CSV holds no nested or binary columns: those become JSON text and base64. */
        private static Dataset<Row> flatForCsv(Dataset<Row> rows) {
            Column[] columns = new Column[rows.schema().fields().length];
            int i = 0;
            for (StructField f : rows.schema().fields()) {
                Column c = functions.col(f.name());
                if (f.dataType().equals(DataTypes.BinaryType)) {
                    // one line: Spark's base64 may break lines every 76 characters (MIME chunking)
                    c = functions.translate(functions.base64(c), "\r\n", "").as(f.name());
                } else if (f.dataType() instanceof org.apache.spark.sql.types.StructType
                        || f.dataType() instanceof org.apache.spark.sql.types.ArrayType) {
                    c = functions.to_json(c).as(f.name());
                }
                columns[i++] = c;
            }
            return rows.select(columns);
        }
    }
}
