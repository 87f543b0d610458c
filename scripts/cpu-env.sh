# Sourced by ./clipsam and .ci/run: environment for libtorch's CPU back ends.
#
# libtorch's float32 matrix products run in OpenBLAS, whose kernel choice can be forced with OPENBLAS_CORETYPE.
# On CPUs with AVX-512 the SkylakeX kernels are about twice as fast as the AVX2 "Haswell" ones that OpenBLAS
# picks for AMD Zen 4/5, or that an inherited OPENBLAS_CORETYPE=Haswell forces (measured on Zen 5, 2 cores:
# 185 -> 350 GFLOP/s for a 1370x1024x4096 product; CLIP ViT-L/14 at 518 px 10.6 s -> 6.7 s).
# So on AVX-512 CPUs clipsam uses SkylakeX. CLIPSAM_OPENBLAS_CORETYPE, when set, is used instead (e.g. Haswell).
if [[ -n "${CLIPSAM_OPENBLAS_CORETYPE:-}" ]]; then
  export OPENBLAS_CORETYPE="$CLIPSAM_OPENBLAS_CORETYPE"
elif [[ -r /proc/cpuinfo ]]; then
  cpu_flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2 || true) "   # no flags line off x86
  if [[ "$cpu_flags" == *" avx512f "* && "$cpu_flags" == *" avx512bw "* && "$cpu_flags" == *" avx512vl "* \
        && "$cpu_flags" == *" avx512dq "* ]]; then
    export OPENBLAS_CORETYPE=SKYLAKEX
  fi
  unset cpu_flags
fi

# libtorch runs two thread pools: OpenMP (its parallel loops, oneDNN) and OpenBLAS's own (float32 GEMM). OpenMP
# workers spin after each parallel region and take the cores OpenBLAS needs next; on 2 cores that made SAM's mask
# decoder (many small ops) 4x slower (300 ms -> 70 ms per prompt with PASSIVE) and did not help the large models.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
