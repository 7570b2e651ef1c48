// Table-driven tests of the CLI's shared helpers: globs, FILE:TREE parsing, byte sizes,
// compression names, text tables and the JSON of one entry of a column.
#include "output.h"

#include <sstream>

#include <gtest/gtest.h>

namespace hepflow::cli {
namespace {

TEST(GlobMatch, Cases) {
    const auto check = [](const char* pattern, const char* text, bool expected) {
        EXPECT_EQ(globMatch(pattern, text), expected) << pattern << " vs " << text;
    };
    check("Muon_*", "Muon_pt", true);
    check("Muon_*", "nMuon", false);
    check("*", "", true);
    check("", "", true);
    check("", "a", false);
    check("?Muon", "nMuon", true);
    check("Jet/*.PT", "Jet/Jet.PT", true);  // '/' is an ordinary character
    check("*.P[TXY]", "Jet.PT", true);      // bracket set
    check("*.P[!TXY]", "Jet.PT", false);    // negated set
    check("A[a-c]1", "Ab1", true);          // range
    check("a*b*c", "aXXbYYbZc", true);      // backtracking over several stars
    check("a*b*c", "aXXbYYbZ", false);
    check("x[", "x[", true);  // an unclosed '[' is literal
    check("Muon_pt", "Muon_pt", true);
    check("Muon_pt", "Muon_ptErr", false);
}

TEST(ParseFileSpec, Cases) {
    const std::string data = HEPFLOW_TESTDATA_DIR;
    const auto check = [](const std::string& text, const std::string& file,
                          const std::string& object) {
        const auto spec = parseFileSpec(text);
        EXPECT_EQ(spec.file, file) << text;
        EXPECT_EQ(spec.object, object) << text;
    };
    check("missing.root", "missing.root", "");
    check("missing.root:Events", "missing.root", "Events");
    check("missing.root:one/two/tree", "missing.root", "one/two/tree");
    check(data + "/uproot-HZZ.root", data + "/uproot-HZZ.root", "");  // an existing file wins
    check("root://host:1094//store/f.root", "root://host:1094//store/f.root", "");
    check("root://host:1094//store/f.root:Events", "root://host:1094//store/f.root", "Events");
}

TEST(Formatting, BytesAndCompression) {
    EXPECT_EQ(formatBytes(0), "0 B");
    EXPECT_EQ(formatBytes(1023), "1023 B");
    EXPECT_EQ(formatBytes(1536), "1.5 KiB");
    EXPECT_EQ(formatBytes(3 * 1024 * 1024), "3.0 MiB");
    EXPECT_EQ(compressionName(0), "none");
    EXPECT_EQ(compressionName(100), "none");
    EXPECT_EQ(compressionName(1), "ZLIB(1)");  // algorithm 0: ROOT's default
    EXPECT_EQ(compressionName(404), "LZ4(4)");
    EXPECT_EQ(compressionName(505), "ZSTD(5)");
    EXPECT_EQ(formatRootVersion(60804), "6.08/04");
}

TEST(TextTable, PadsColumns) {
    TextTable table;
    table.addRow({"a", "bb", "c"});
    table.addRow({"ccc", "d", ""});
    std::ostringstream out;
    table.print(out, "  ");
    EXPECT_EQ(out.str(), "  a    bb  c\n  ccc  d\n");
}

TEST(EntryJson, JaggedStringsAndStructs) {
    frame::Column jagged(frame::DType::Int32, 1);
    for (std::int32_t v : {1, 2, 3}) jagged.append(v);
    jagged.offsets(0) = {0, 2, 2, 3};
    EXPECT_EQ(entryJson(jagged, 0).dump(), "[1,2]");
    EXPECT_EQ(entryJson(jagged, 1).dump(), "[]");

    frame::Column strings(frame::DType::String, 1);
    for (const char* text : {"one", "two"}) strings.appendString(text);
    strings.offsets(0) = {0, 2};
    EXPECT_EQ(entryJson(strings, 0).dump(), R"(["one","two"])");

    frame::Column object(frame::DType::Struct);
    object.setStructLength(1);
    frame::Column x(frame::DType::Float64);
    x.append(1.5);
    object.members().emplace_back(".x", std::move(x));
    object.members().emplace_back(".name#string", frame::Column(frame::DType::String));
    object.members().back().second.appendString("n");
    EXPECT_EQ(entryJson(object, 0).dump(), R"({"name":"n","x":1.5})");
}

}  // namespace
}  // namespace hepflow::cli
