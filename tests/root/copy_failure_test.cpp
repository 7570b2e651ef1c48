// `hepflow copy` when the output cannot be written, run as the real program: a full disk
// (RLIMIT_FSIZE with SIGXFSZ ignored: writes fail with EFBIG), a copy killed in the middle of
// its writing (SIGXFSZ at its default action), and a folder without write permission. An
// existing output of the same name must keep its bytes in every case.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.h"
#include "root/root_file.h"
#include "support/test_support.h"

namespace hepflow {
namespace {

namespace fs = std::filesystem;

// The output limit, in the 512-byte blocks of sh's `ulimit -f`: 64 KiB, far less than the
// copy of uproot-HZZ.root (~200 KB) needs.
constexpr int kLimitBlocks = 128;
const std::string kPrevious = "the previous output";

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// `hepflow copy INPUT OUTPUT --compression none` under sh with `setup` run first (a limit, a
// trap); the paths are passed as arguments, so they need no quoting.
jsroot::RunResult copyUnder(const std::string& setup, const std::string& output) {
    return jsroot::runCommand({"/bin/sh", "-c",
                               setup + "; exec \"$0\" copy \"$1\" \"$2\" --compression none",
                               HEPFLOW_BIN, test::dataPath("uproot-HZZ.root"), output});
}

TEST(CopyOutput, DiskFullIsAnErrorAndKeepsTheExistingOutput) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    std::ofstream(output) << kPrevious;
    const auto result =
        copyUnder("trap '' XFSZ; ulimit -f " + std::to_string(kLimitBlocks), output);
    EXPECT_EQ(result.status, 1) << result.err;
    EXPECT_NE(result.err.find("disk full"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(output), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(readAll(output), kPrevious);
    EXPECT_EQ(dir.contents(), std::vector<std::string>{"out.root"});  // no temporary file

    // Without an earlier output there is none afterwards either.
    fs::remove(output);
    EXPECT_EQ(copyUnder("trap '' XFSZ; ulimit -f " + std::to_string(kLimitBlocks), output).status,
              1);
    EXPECT_TRUE(dir.contents().empty());
}

// Killed while writing (as by a crash or kill -9): nothing can clean up, so the temporary file
// stays, but the output is only ever renamed into place complete: the old one is intact.
TEST(CopyOutput, KilledMidWriteLeavesTheExistingOutputIntact) {
    jsroot::ScratchDir dir;
    const std::string output = dir.file("out.root");
    std::ofstream(output) << kPrevious;
    const auto result = copyUnder("ulimit -c 0; ulimit -f " + std::to_string(kLimitBlocks), output);
    EXPECT_EQ(result.status, -1) << "expected death by SIGXFSZ; stderr: " << result.err;
    EXPECT_EQ(readAll(output), kPrevious);
    const auto contents = dir.contents();
    ASSERT_EQ(contents.size(), 2u);
    EXPECT_EQ(contents[0], "out.root");
    EXPECT_TRUE(contents[1].starts_with("out.root.hepflow-tmp-")) << contents[1];
    EXPECT_LE(fs::file_size(dir.file(contents[1])), std::uintmax_t{kLimitBlocks} * 512);

    // The next copy to the same name succeeds and replaces the old output.
    const auto again = copyUnder("true", output);
    ASSERT_EQ(again.status, 0) << again.err;
    EXPECT_NO_THROW(root::RootFile::open(output));
}

TEST(CopyOutput, FolderWithoutWritePermission) {
    if (::geteuid() == 0) GTEST_SKIP() << "root may write into any folder";
    jsroot::ScratchDir dir;
    const std::string locked = dir.file("locked");
    fs::create_directory(locked);
    std::ofstream(locked + "/out.root") << kPrevious;
    fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
    const auto result = copyUnder("true", locked + "/out.root");
    fs::permissions(locked, fs::perms::owner_all);
    EXPECT_EQ(result.status, 1) << result.err;
    EXPECT_NE(result.err.find("Permission denied"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(locked), std::string::npos) << result.err;
    EXPECT_EQ(readAll(locked + "/out.root"), kPrevious);
    EXPECT_EQ(fs::directory_iterator(locked)->path().filename(), "out.root");
    EXPECT_EQ(std::distance(fs::directory_iterator(locked), fs::directory_iterator()), 1);
}

}  // namespace
}  // namespace hepflow
