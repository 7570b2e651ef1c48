// Runs the built `hepflow` binary as a user would and checks its output, its exit status
// and its one-line error messages: ls, show, dump --format csv, stats --json, --version,
// --help, and the error cases (missing file, not a ROOT file, bad command, unknown tree).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;

const std::string kData = HEPFLOW_TESTDATA_DIR;

struct RunResult {
    int status = -1;
    std::string out;
    std::string err;
};

std::string readAll(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string quote(const std::string& arg) {
    std::string quoted = "'";
    for (const char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// Runs hepflow with `args` through the shell, capturing stdout and stderr in files.
RunResult runHepflow(const std::vector<std::string>& args) {
    const fs::path dir =
        fs::temp_directory_path() / ("hepflow_cli_test_" + std::to_string(getpid()));
    fs::create_directories(dir);
    std::string command = quote(HEPFLOW_BIN);
    for (const auto& arg : args) command += " " + quote(arg);
    command += " >" + quote((dir / "out").string()) + " 2>" + quote((dir / "err").string());
    const int raw = std::system(command.c_str());
    RunResult result;
    result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    result.out = readAll(dir / "out");
    result.err = readAll(dir / "err");
    fs::remove_all(dir);
    return result;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The line of `text` that contains every one of `parts`, or "" when none does.
std::string lineWith(const std::string& text, const std::vector<std::string>& parts) {
    for (const auto& line : lines(text)) {
        bool all = true;
        for (const auto& part : parts) all = all && contains(line, part);
        if (all) return line;
    }
    return {};
}

TEST(Cli, LsShowsKeysIndentedByDirectory) {
    const auto result = runHepflow({"ls", kData + "/uproot-nesteddirs.root"});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_TRUE(result.err.empty()) << result.err;
    // one/two/tree sits two directories down: its class is indented by four spaces.
    const auto deep = lineWith(result.out, {"TTree", "\"my tree title\"", "tree;1"});
    EXPECT_EQ(deep.rfind("    TTree", 0), 0u) << result.out;
    EXPECT_EQ(lineWith(result.out, {"TDirectory", "one;1", "\"one\""}).rfind("TDirectory", 0), 0u)
        << result.out;
    EXPECT_EQ(lineWith(result.out, {"TDirectory", "two;1"}).rfind("  TDirectory", 0), 0u)
        << result.out;
    EXPECT_EQ(lineWith(result.out, {"TTree", "\"fake data\""}).rfind("  TTree", 0), 0u)
        << result.out;
    EXPECT_FALSE(lineWith(result.out, {"TDirectory", "three;1"}).empty()) << result.out;
    EXPECT_TRUE(contains(lines(result.out).at(0), "6.08/04")) << result.out;
}

TEST(Cli, ShowListsEveryNanoAodBranch) {
    const auto result =
        runHepflow({"show", kData + "/nanoAOD_2015_CMS_Open_Data_ttbar.root:Events"});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_FALSE(lineWith(result.out, {"Events", "200 entries", "947 branches"}).empty())
        << result.out;
    // Rows are the lines after the column header, each starting with the branch path.
    const auto all = lines(result.out);
    std::size_t header = 0;
    while (header < all.size() && !contains(all[header], "INTERPRETATION")) ++header;
    ASSERT_LT(header, all.size()) << result.out;
    std::size_t rows = 0;
    for (std::size_t i = header + 1; i < all.size() && !all[i].empty(); ++i) ++rows;
    EXPECT_EQ(rows, 947u);
    EXPECT_FALSE(lineWith(result.out, {"nMuon ", "UInt_t", "flat"}).empty()) << result.out;
    EXPECT_FALSE(lineWith(result.out, {"Muon_pt ", "Float_t", "jagged"}).empty()) << result.out;
}

TEST(Cli, ShowWithoutTreeShowsEveryTree) {
    const auto result = runHepflow({"show", kData + "/uproot-nesteddirs.root"});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_FALSE(lineWith(result.out, {"one/two/tree", "100 entries"}).empty()) << result.out;
    EXPECT_FALSE(lineWith(result.out, {"one/tree", "4 entries"}).empty()) << result.out;
    EXPECT_FALSE(lineWith(result.out, {"three/tree", "100 entries"}).empty()) << result.out;
}

TEST(Cli, DumpCsvOfAFewEntries) {
    // Muon_Px of entry 0 = [-52.89945602416992, 37.7377815246582] (uproot5 test_0034).
    const auto result = runHepflow({"dump", kData + "/uproot-HZZ.root:events", "-b", "NMuon",
                                    "Muon_Px", "--entries", "0:2", "--format", "csv"});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto rows = lines(result.out);
    ASSERT_EQ(rows.size(), 3u) << result.out;
    EXPECT_EQ(rows[0], "entry,NMuon,Muon_Px");
    EXPECT_EQ(rows[1], "0,2,\"[-52.89945602416992,37.7377815246582]\"");
    EXPECT_EQ(rows[2].rfind("1,", 0), 0u) << rows[2];
}

TEST(Cli, DumpJsonLinesWithGlob) {
    const auto result = runHepflow(
        {"dump", kData + "/uproot-leaflist.root:tree", "-b", "leaf*", "--entries", "3:"});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto rows = lines(result.out);
    ASSERT_EQ(rows.size(), 2u) << result.out;
    const auto entry = nlohmann::json::parse(rows[0]);
    EXPECT_EQ(entry["entry"], 3);
    EXPECT_EQ(entry["leaflist"]["x"], 4.0);
    EXPECT_EQ(entry["leaflist"]["y"], 4);
    EXPECT_EQ(entry["leaflist"]["z"], 100);
}

TEST(Cli, StatsJsonParses) {
    const auto result = runHepflow({"stats", kData + "/uproot-leaflist.root", "--json"});
    ASSERT_EQ(result.status, 0) << result.err;
    const auto stats = nlohmann::json::parse(result.out);
    EXPECT_EQ(stats["compression"]["setting"], 1);
    ASSERT_EQ(stats["trees"].size(), 1u);
    const auto& branch = stats["trees"][0]["branches"][0];
    EXPECT_EQ(branch["path"], "leaflist");
    EXPECT_EQ(branch["members"][".y"]["sum"], 15.0);
    EXPECT_EQ(branch["members"][".x"]["count"], 5);
}

TEST(Cli, StatsTable) {
    const auto result = runHepflow({"stats", kData + "/uproot-Zmumu.root"});
    ASSERT_EQ(result.status, 0) << result.err;
    EXPECT_FALSE(lineWith(result.out, {"events", "2304 entries"}).empty()) << result.out;
    EXPECT_FALSE(lineWith(result.out, {"Type", "2304"}).empty()) << result.out;
}

TEST(Cli, VersionAndHelp) {
    const auto version = runHepflow({"--version"});
    EXPECT_EQ(version.status, 0);
    EXPECT_TRUE(contains(version.out, "hepflow 0.")) << version.out;
    const auto help = runHepflow({"--help"});
    EXPECT_EQ(help.status, 0);
    for (const char* command : {"ls", "show", "dump", "stats", "--threads", "Example"})
        EXPECT_TRUE(contains(help.out, command)) << command << "\n" << help.out;
}

TEST(Cli, ThreadsOption) {
    const auto result =
        runHepflow({"--threads", "1", "stats", kData + "/uproot-leaflist.root", "--json"});
    EXPECT_EQ(result.status, 0) << result.err;
}

// An error is one stderr line "hepflow: <kind>: <message>" and exit status 1.
void expectOneErrorLine(const RunResult& result, int status,
                        const std::vector<std::string>& parts) {
    EXPECT_EQ(result.status, status);
    EXPECT_TRUE(result.out.empty()) << result.out;
    const auto err = lines(result.err);
    ASSERT_EQ(err.size(), 1u) << result.err;
    EXPECT_EQ(err[0].rfind("hepflow: ", 0), 0u) << err[0];
    for (const auto& part : parts) EXPECT_TRUE(contains(err[0], part)) << part << "\n" << err[0];
}

TEST(Cli, MissingFileIsOneErrorLine) {
    const std::string missing = kData + "/no-such-file.root";
    expectOneErrorLine(runHepflow({"ls", missing}), 1, {"no-such-file.root"});
}

TEST(Cli, NotARootFileNamesTheFileAndOffsetZero) {
    const fs::path path =
        fs::temp_directory_path() / ("hepflow_not_root_" + std::to_string(getpid()) + ".txt");
    {
        std::ofstream out(path);
        for (int i = 0; i < 100; ++i) out << "this is a text file, not a ROOT file\n";
    }
    const auto result = runHepflow({"stats", path.string()});
    fs::remove(path);
    expectOneErrorLine(result, 1, {path.filename().string(), "byte 0", "format error"});
}

TEST(Cli, BadSubcommandIsUsageError) {
    const auto result = runHepflow({"frobnicate", "x.root"});
    EXPECT_EQ(result.status, 2);
    EXPECT_EQ(lines(result.err).size(), 1u) << result.err;
    EXPECT_TRUE(runHepflow({}).status == 2);
    EXPECT_EQ(runHepflow({"dump", kData + "/uproot-HZZ.root:events", "--format", "xml"}).status, 2);
}

TEST(Cli, UnknownTreeOrBranchIsUsageError) {
    expectOneErrorLine(runHepflow({"show", kData + "/uproot-HZZ.root:nosuchtree"}), 2,
                       {"nosuchtree"});
    expectOneErrorLine(runHepflow({"dump", kData + "/uproot-HZZ.root:events", "-b", "Nope*"}), 2,
                       {"Nope*"});
    expectOneErrorLine(runHepflow({"dump", kData + "/uproot-HZZ.root:events", "--entries", "5:x"}),
                       2, {"5:x"});
}

}  // namespace
