// Placeholder until the kernels land.
#include "frame/kernels/jagged_kernels.h"
