package dev.clipsam.cli;

/** Test helpers of the cli package that other packages' tests use. */
public final class PipelineCommandsTestAccess {

    private PipelineCommandsTestAccess() {
    }

    /** A PNG of nothing but a header claiming 12000 x 12000 RGB pixels. */
    public static byte[] hugePngHeader() {
        return PipelineCommandsTest.hugePngHeader();
    }
}
