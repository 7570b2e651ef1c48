// `hepflow generate`: placeholder until the generator lands.
#include "commands.h"
#include "common/error.h"

namespace hepflow::cli {
void runGenerate(const GenerateOptions&, std::ostream&, std::ostream&) {
    throw UnsupportedError("hepflow generate is not implemented yet");
}
}  // namespace hepflow::cli
