// `hepflow reduce`: placeholder until the engine lands.
#include "commands.h"
#include "common/error.h"

namespace hepflow::cli {
void runReduce(const ReduceOptions&, std::ostream&, std::ostream&) {
    throw UnsupportedError("hepflow reduce is not implemented yet");
}
}  // namespace hepflow::cli
