// Runs the hepflow CLI in-process for tests: argv from strings, stdout/stderr captured, the
// exit status returned — the same code path as the `hepflow` binary.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "commands.h"

namespace hepflow::testing {

struct CliResult {
    int status = -1;
    std::string out;
    std::string err;
};

// `args` without the program name: {"copy", "in.root", "out.root"}.
inline CliResult runHepflow(std::vector<std::string> args) {
    args.insert(args.begin(), "hepflow");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    std::ostringstream out, err;
    CliResult result;
    result.status = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
}

}  // namespace hepflow::testing
