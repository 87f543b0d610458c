package dev.clipsam.nn;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** MLP activations of the transformers. */
public enum Activation {
    /** {@code x * sigmoid(1.702 x)}: what OpenAI trained CLIP with (clip/model.py {@code QuickGELU}). */
    QUICK_GELU {
        @Override
        public Tensor apply(Tensor x) {
            return x.mul(torch.sigmoid(x.mul(new org.bytedeco.pytorch.Scalar(1.702))));
        }
    },
    /** Exact erf GELU ({@code nn.GELU()}): what APRIL-GAN runs the OpenAI weights with, and SAM's activation. */
    GELU {
        @Override
        public Tensor apply(Tensor x) {
            return torch.gelu(x);
        }
    },
    RELU {
        @Override
        public Tensor apply(Tensor x) {
            return torch.relu(x);
        }
    };

    public abstract Tensor apply(Tensor x);
}
