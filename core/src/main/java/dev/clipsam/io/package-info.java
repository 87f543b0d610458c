/**
 * Checkpoint containers: torch {@code .pt}/{@code .pth} zip archives and TorchScript archives (read through a
 * pickle reader that gives meaning only to torch's tensor globals), {@code .safetensors}, NumPy {@code .npy};
 * tensors are streamed one at a time into native memory. Also the atomic-write helper every output uses.
 */
package dev.clipsam.io;
