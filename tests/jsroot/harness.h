// Runs the two readers the cross-check compares, as separate processes: JSROOT through
// rootdump.mjs (installed in the build folder by the jsroot.setup test) and the built
// `hepflow` binary. Failures to run either throw std::runtime_error with their stderr, so a
// missing node or a broken install fails a test with the reason instead of skipping it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hepflow::jsroot {

struct RunResult {
    int status = -1;  // exit status; -1 when killed by a signal
    std::string out;
    std::string err;
};

// Runs `argv` (argv[0] a path) with stdout and stderr captured; never throws for a non-zero
// exit, only when the process cannot be started.
RunResult runCommand(const std::vector<std::string>& argv);

// The programs, from the test target's compile definitions.
struct Tools {
    std::string hepflow;   // the built hepflow binary
    std::string node;      // node, or "...-NOTFOUND"
    std::string rootdump;  // rootdump.mjs inside the build folder's npm install
};

// JSROOT's dump of `file` (rootdump.mjs output; `options` such as "--max-entries", "N" follow
// the file name). Throws std::runtime_error, with node's stderr, when node is missing, exits
// non-zero or prints something that is not JSON.
nlohmann::json jsrootDump(const Tools& tools, const std::string& file,
                          const std::vector<std::string>& options = {});

// `hepflow stats --json file`. Throws std::runtime_error, with hepflow's stderr, when it
// exits non-zero or prints something that is not JSON.
nlohmann::json hepflowStats(const Tools& tools, const std::string& file);

// A fresh, empty folder under the temporary directory, removed with everything in it when
// the object goes.
class ScratchDir {
public:
    // A new folder inside `parent` (default: the system's temporary folder).
    explicit ScratchDir(const std::string& parent = "");
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;

    // The path of `name` inside the folder.
    std::string file(const std::string& name) const;
    // The names in the folder, sorted (a temporary file left behind shows up here).
    std::vector<std::string> contents() const;

private:
    std::string path_;
};

// The *.root files of a folder, sorted by name.
std::vector<std::string> rootFilesIn(const std::string& folder);

// A gtest parameter name for a file name: "uproot-HZZ.root" -> "uproot_HZZ".
std::string testNameOf(std::string file_name);

}  // namespace hepflow::jsroot
