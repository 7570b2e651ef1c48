// Process running for the JSROOT cross-check: posix_spawn with stdout and stderr sent to
// temporary files (no shell, so paths need no quoting), and the two readers' JSON.
#include "harness.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace hepflow::jsroot {
namespace {

namespace fs = std::filesystem;

// A temporary file that is removed when it goes out of scope.
class TempFile {
public:
    TempFile() {
        std::string pattern = (fs::temp_directory_path() / "hepflow_jsroot_XXXXXX").string();
        fd_ = mkstemp(pattern.data());
        if (fd_ < 0) throw std::runtime_error("mkstemp failed: " + std::string(strerror(errno)));
        path_ = pattern;
    }
    ~TempFile() {
        close(fd_);
        unlink(path_.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd() const { return fd_; }
    std::string contents() const {
        std::ifstream in(path_, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    int fd_ = -1;
    std::string path_;
};

std::string lastLines(const std::string& text, std::size_t max_chars = 2000) {
    return text.size() <= max_chars ? text : "..." + text.substr(text.size() - max_chars);
}

nlohmann::json parseOutput(const std::string& what, const RunResult& result) {
    if (result.status != 0)
        throw std::runtime_error(what + " exited with status " + std::to_string(result.status) +
                                 ": " + lastLines(result.err));
    try {
        return nlohmann::json::parse(result.out);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(what + " printed something that is not JSON (" + e.what() +
                                 "); stderr: " + lastLines(result.err));
    }
}

}  // namespace

RunResult runCommand(const std::vector<std::string>& argv) {
    if (argv.empty()) throw std::runtime_error("runCommand: no program");
    TempFile out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err.fd(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("cannot run " + argv[0] + ": " + std::string(strerror(rc)));
    int raw = 0;
    while (waitpid(pid, &raw, 0) < 0) {
        if (errno != EINTR)
            throw std::runtime_error("waitpid failed: " + std::string(strerror(errno)));
    }
    RunResult result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    result.out = out.contents();
    result.err = err.contents();
    return result;
}

nlohmann::json jsrootDump(const Tools& tools, const std::string& file,
                          const std::vector<std::string>& options) {
    if (tools.node.empty() || tools.node.ends_with("NOTFOUND") || !fs::exists(tools.node))
        throw std::runtime_error(
            "node was not found when CMake configured the build (" + tools.node +
            "); the JSROOT cross-check needs Node.js >= 18 and npm (scripts/install-deps.sh)");
    if (!fs::exists(tools.rootdump))
        throw std::runtime_error(tools.rootdump +
                                 " is missing: the jsroot.setup test installs it (run ctest)");
    std::vector<std::string> argv = {tools.node, tools.rootdump, file};
    argv.insert(argv.end(), options.begin(), options.end());
    return parseOutput("node rootdump.mjs " + file, runCommand(argv));
}

nlohmann::json hepflowStats(const Tools& tools, const std::string& file) {
    return parseOutput("hepflow stats --json " + file,
                       runCommand({tools.hepflow, "stats", "--json", file}));
}

ScratchDir::ScratchDir(const std::string& parent) {
    const fs::path base = parent.empty() ? fs::temp_directory_path() : fs::path(parent);
    std::string pattern = (base / "hepflow_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed: " + std::string(strerror(errno)));
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string ScratchDir::file(const std::string& name) const {
    return (fs::path(path_) / name).string();
}

std::vector<std::string> ScratchDir::contents() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> rootFilesIn(const std::string& folder) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
        if (entry.is_regular_file() && entry.path().extension() == ".root")
            names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string testNameOf(std::string name) {
    name = name.substr(0, name.rfind(".root"));
    std::replace_if(
        name.begin(), name.end(),
        [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

}  // namespace hepflow::jsroot
