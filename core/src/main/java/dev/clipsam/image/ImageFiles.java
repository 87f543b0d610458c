package dev.clipsam.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decoding image files (PNG, JPEG, BMP, GIF, TIFF through {@link ImageIO}) into {@link Image8} without any
 * colour management: grey stays one channel with its stored values, RGB keeps its stored values, alpha is kept,
 * palette images are expanded, 16-bit samples are rounded to 8 bits.
 */
public final class ImageFiles {

    static {
        ImageIO.setUseCache(false);
    }

    /** File extensions taken for images when folders are searched. */
    public static final java.util.Set<String> EXTENSIONS = java.util.Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff");

    private ImageFiles() {
    }

    /** Whether the file name has one of {@link #EXTENSIONS} (any case). */
    public static boolean hasImageExtension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(java.util.Locale.ROOT));
    }

    /** The default largest image decoded: 40 megapixels (8000 x 5000), which the default 2 GB heap holds with room. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;
    private static volatile long maxPixels = DEFAULT_MAX_PIXELS;

    /** Sets the largest image (width x height) that {@link #read} decodes; larger ones are refused from their header. */
    public static void setMaxPixels(long pixels) {
        if (pixels < 1) {
            throw new IllegalArgumentException("the pixel limit must be at least 1, not " + pixels);
        }
        maxPixels = pixels;
    }

    public static long maxPixels() {
        return maxPixels;
    }

    /**
     * Decodes an image. Its size is read from the header first, and an image above {@link #maxPixels()} is refused
     * before any pixel is decoded; a file the decoder finds truncated or corrupt is refused too (as Pillow does),
     * instead of decoding its missing part as grey.
     */
    public static Image8 read(Path file) {
        BufferedImage image = decode(file);
        try {
            return toImage8(image);
        } catch (RuntimeException e) {
            throw new ImageReadException(file, "has an unsupported pixel layout (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Decodes an image held in memory (an upload), with the same bounds and checks as {@link #read(Path)}.
     *
     * @param name how messages name it
     */
    public static Image8 read(byte[] bytes, String name) {
        Path label = Path.of(name);
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new java.io.ByteArrayInputStream(bytes))) {
            image = decode(in, label);
        } catch (IOException e) {
            throw new ImageReadException(label, "cannot be decoded as an image (" + e.getMessage() + ")", e);
        }
        try {
            return toImage8(image);
        } catch (RuntimeException e) {
            throw new ImageReadException(label, "has an unsupported pixel layout (" + e.getMessage() + ")", e);
        }
    }

    private static BufferedImage decode(Path file) {
        if (!Files.exists(file)) {
            throw new ImageReadException(file, "file not found");
        }
        if (Files.isDirectory(file)) {
            throw new ImageReadException(file, "is a directory, not an image");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return decode(in, file);
        } catch (NoSuchFileException e) {
            throw new ImageReadException(file, "file not found");
        } catch (IOException e) {
            throw new ImageReadException(file, "cannot be decoded as an image (" + e.getMessage() + ")", e);
        }
    }

    private static BufferedImage decode(ImageInputStream in, Path file) {
        try {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new ImageReadException(file, "is not an image in a supported format (PNG, JPEG, BMP, GIF, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width * height > maxPixels) {
                    throw new ImageReadException(file, String.format(Locale.ROOT, "is %d x %d pixels (%.1f MP), more"
                            + " than the limit of %.1f MP; raise it with --max-pixels (and the heap with"
                            + " CLIPSAM_JAVA_OPTS=-Xmx...) or downscale the image", width, height,
                            width * height / 1e6, maxPixels / 1e6));
                }
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                int adobeTransform = fourComponentJpeg(reader);
                BufferedImage image = adobeTransform == NOT_CMYK ? reader.read(0)
                        : cmykToRgb(reader.readRaster(0, null), adobeTransform);
                for (String w : warnings) {
                    String lower = w.toLowerCase(Locale.ROOT);
                    if (lower.contains("premature end") || lower.contains("corrupt") || lower.contains("truncat")) {
                        throw new ImageReadException(file, "is truncated or corrupt (" + w.strip() + ")");
                    }
                }
                return image;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageReadException r) {
                throw r;
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new ImageReadException(file, "cannot be decoded as an image (" + why.replaceAll("\\s+", " ") + ")", e);
        }
    }

    private static final int NOT_CMYK = -2;
    private static final int NO_ADOBE_MARKER = -1;

    /**
     * For a JPEG with four components (CMYK, or YCCK), the transform of its Adobe APP14 marker ({@link
     * #NO_ADOBE_MARKER} without one); {@link #NOT_CMYK} for any other image.
     */
    private static int fourComponentJpeg(ImageReader reader) throws IOException {
        if (!reader.getFormatName().equalsIgnoreCase("jpeg")) {
            return NOT_CMYK;
        }
        javax.imageio.metadata.IIOMetadata meta = reader.getImageMetadata(0);
        if (meta == null || !java.util.Arrays.asList(meta.getMetadataFormatNames())
                .contains("javax_imageio_jpeg_image_1.0")) {
            return NOT_CMYK;
        }
        org.w3c.dom.Node root = meta.getAsTree("javax_imageio_jpeg_image_1.0");
        int components = 0;
        int transform = NO_ADOBE_MARKER;
        for (org.w3c.dom.Node n = root.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!n.getNodeName().equals("markerSequence")) {
                continue;
            }
            for (org.w3c.dom.Node m = n.getFirstChild(); m != null; m = m.getNextSibling()) {
                if (m.getNodeName().equals("sof")) {
                    components = m.getChildNodes().getLength();
                } else if (m.getNodeName().equals("app14Adobe")) {
                    org.w3c.dom.Node t = m.getAttributes().getNamedItem("transform");
                    transform = t == null ? 0 : Integer.parseInt(t.getNodeValue());
                }
            }
        }
        return components == 4 ? transform : NOT_CMYK;
    }

    /**
     * Pillow's CMYK to RGB for a four-component JPEG's raw samples: YCCK (Adobe transform 2) first to CMYK as libjpeg
     * does (JFIF YCbCr to RGB, then C = 255 - R ...), an Adobe marker's inverted samples (Photoshop's convention,
     * Pillow's "CMYK;I") inverted back, then {@code R = (255 - K) - C (255 - K) / 255} with Pillow's rounding.
     */
    static BufferedImage cmykToRgb(java.awt.image.Raster raster, int adobeTransform) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] px = new int[4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                raster.getPixel(x + raster.getMinX(), y + raster.getMinY(), px);
                int c = px[0];
                int m = px[1];
                int ye = px[2];
                int k = px[3];
                if (adobeTransform == 2) {   // libjpeg's ycck_cmyk_convert
                    double yy = px[0];
                    double cb = px[1] - 128;
                    double cr = px[2] - 128;
                    c = 255 - clip((int) Math.round(yy + 1.402 * cr));
                    m = 255 - clip((int) Math.round(yy - 0.344136 * cb - 0.714136 * cr));
                    ye = 255 - clip((int) Math.round(yy + 1.772 * cb));
                }
                if (adobeTransform != NO_ADOBE_MARKER) {
                    c = 255 - c;
                    m = 255 - m;
                    ye = 255 - ye;
                    k = 255 - k;
                }
                int nk = 255 - k;
                rgb.setRGB(x, y, clip(nk - mulDiv255(c, nk)) << 16 | clip(nk - mulDiv255(m, nk)) << 8
                        | clip(nk - mulDiv255(ye, nk)));
            }
        }
        return rgb;
    }

    /** Pillow's MULDIV255: {@code a·b/255} rounded. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /**
     * Where an image is non-zero, at its stored precision (a 16-bit value of 1 counts), ignoring alpha; palette
     * images by their colours. For masks, where any non-zero pixel marks a defect.
     *
     * @return {@code [height * width]} row-major; the size is {@code size(file)}
     */
    public static boolean[] nonZero(Path file) {
        BufferedImage image = decode(file);
        int w = image.getWidth();
        int h = image.getHeight();
        boolean[] out = new boolean[w * h];
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel palette) {
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < index.length; i++) {
                out[i] = (palette.getRGB(index[i]) & 0xffffff) != 0;
            }
            return out;
        }
        int colourBands = cm.getNumColorComponents();
        for (int b = 0; b < Math.min(colourBands, raster.getNumBands()); b++) {
            int[] samples = raster.getSamples(0, 0, w, h, b, (int[]) null);
            for (int i = 0; i < samples.length; i++) {
                out[i] |= samples[i] != 0;
            }
        }
        return out;
    }

    /**
     * The {@code [width, height]} of an image file from its header, without decoding the pixels.
     *
     * @throws ImageReadException when the file is missing or not a readable image
     */
    public static int[] size(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ImageReadException(file, "file not found");
        }
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            java.util.Iterator<javax.imageio.ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new ImageReadException(file, "is not an image in a supported format (PNG, JPEG, BMP, GIF, TIFF)");
            }
            javax.imageio.ImageReader reader = readers.next();
            try {
                reader.setInput(in);
                return new int[] {reader.getWidth(0), reader.getHeight(0)};
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageReadException r) {
                throw r;
            }
            throw new ImageReadException(file, "cannot be read as an image (" + e.getMessage() + ")", e);
        }
    }

    /** The colour channels an image file declares (1 for grey and palette, 3 for RGB), from its header. */
    public static int colourBands(Path file) {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new ImageReadException(file, "is not an image in a supported format (PNG, JPEG, BMP, GIF, TIFF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                javax.imageio.ImageTypeSpecifier type = reader.getRawImageType(0);
                if (type == null) {
                    type = reader.getImageTypes(0).next();
                }
                ColorModel cm = type.getColorModel();
                return cm instanceof IndexColorModel ? 1 : cm.getNumColorComponents();
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof ImageReadException r) {
                throw r;
            }
            throw new ImageReadException(file, "cannot be read as an image (" + e.getMessage() + ")", e);
        }
    }

    /** Converts a decoded image, reading stored sample values wherever the colour space allows. */
    public static Image8 toImage8(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel palette) {
            int channels = palette.hasAlpha() ? 4 : 3;
            byte[] out = new byte[w * h * channels];
            int[] index = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < index.length; i++) {
                int p = index[i];
                out[i * channels] = (byte) palette.getRed(p);
                out[i * channels + 1] = (byte) palette.getGreen(p);
                out[i * channels + 2] = (byte) palette.getBlue(p);
                if (channels == 4) {
                    out[i * channels + 3] = (byte) palette.getAlpha(p);
                }
            }
            return new Image8(w, h, channels, out);
        }
        int type = cm.getColorSpace().getType();
        int bands = raster.getNumBands();
        if (type == ColorSpace.TYPE_GRAY && (bands == 1 || bands == 2)) {
            int channels = bands == 1 ? 1 : 4;
            byte[] grey = samples(raster, 0, cm.getComponentSize(0));
            if (bands == 1) {
                return new Image8(w, h, 1, grey);
            }
            byte[] alpha = samples(raster, 1, cm.getComponentSize(1));
            byte[] out = new byte[w * h * channels];
            for (int i = 0; i < grey.length; i++) {
                out[i * 4] = grey[i];
                out[i * 4 + 1] = grey[i];
                out[i * 4 + 2] = grey[i];
                out[i * 4 + 3] = alpha[i];
            }
            return new Image8(w, h, 4, out);
        }
        if (cm.getColorSpace().isCS_sRGB() && (bands == 3 || bands == 4) && cm.getNumComponents() == bands) {
            byte[] out = new byte[w * h * bands];
            for (int b = 0; b < bands; b++) {
                byte[] plane = samples(raster, b, cm.getComponentSize(b));
                for (int i = 0; i < plane.length; i++) {
                    out[i * bands + b] = plane[i];
                }
            }
            return new Image8(w, h, bands, out);
        }
        // Anything else (CMYK, other colour spaces): let Java convert to sRGB.
        int channels = cm.hasAlpha() ? 4 : 3;
        byte[] out = new byte[w * h * channels];
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            out[i * channels] = (byte) (argb[i] >> 16);
            out[i * channels + 1] = (byte) (argb[i] >> 8);
            out[i * channels + 2] = (byte) argb[i];
            if (channels == 4) {
                out[i * channels + 3] = (byte) (argb[i] >>> 24);
            }
        }
        return new Image8(w, h, channels, out);
    }

    /** One band as 8-bit values; deeper samples are scaled to 0..255 with rounding. */
    private static byte[] samples(Raster raster, int band, int bits) {
        int[] values = raster.getSamples(0, 0, raster.getWidth(), raster.getHeight(), band, (int[]) null);
        byte[] out = new byte[values.length];
        long max = (1L << bits) - 1;
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) (bits == 8 ? values[i] : (values[i] * 255L + max / 2) / max);
        }
        return out;
    }
}
