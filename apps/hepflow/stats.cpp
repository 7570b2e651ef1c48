// `hepflow stats FILE`: reads every branch of every tree and summarises its values with the
// conventions of the JSROOT reference dump (frame::computeColumnStats), as JSON shaped like
// one file of tests/data/expected.json or as a table. A branch that cannot be read gets its
// error message; the other branches carry on.
#include <algorithm>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "commands.h"
#include "output.h"

namespace hepflow::cli {
namespace {

using nlohmann::json;

// Branches per readBranches call: one vectored read and parallel decoding for each group,
// while only one group of columns is held in memory.
constexpr std::size_t kBranchesPerRead = 64;

json keyJson(const std::string& path, const root::Key& key) {
    return {{"path", path},
            {"name", key.fName},
            {"class", key.fClassName},
            {"cycle", key.fCycle},
            {"title", key.fTitle}};
}

json branchRecord(const root::Tree& tree, const BranchSummary& summary) {
    const root::TBranch& branch = *summary.branch;
    const auto& info = tree.branchInfo(branch);
    json record = {{"name", branch.fName},
                   {"path", branch.path},
                   {"class", summary.class_name},
                   {"title", branch.fTitle},
                   {"entries", branch.fEntries},
                   {"baskets", branch.fWriteBasket},
                   {"type", summary.type},
                   {"interpretation", summary.interpretation},
                   {"compressed_bytes", info.compressed_bytes},
                   {"uncompressed_bytes", info.uncompressed_bytes}};
    if (!summary.no_data_note.empty()) {
        record["note"] = summary.no_data_note;
        // The reference gives a branch with no entries at all empty values.
        if (summary.readable && branch.fEntries == 0 && branch.fWriteBasket == 0)
            record["values"] = statsJson(frame::computeColumnStats(frame::Column()))["values"];
    }
    if (!summary.readable) record["error"] = tree.branchInfo(branch).unsupported;
    return record;
}

void addColumnStats(json& record, const frame::Column& column) {
    record.update(statsJson(frame::computeColumnStats(column)));
}

// Reads `branches` in one call and adds their statistics to `records` (parallel to it); if
// that fails, reads them one by one so that the error lands on the branch that caused it.
void readGroup(const root::Tree& tree, const std::vector<const root::TBranch*>& branches,
               const std::vector<json*>& records) {
    try {
        const auto columns = tree.readBranches(branches);
        for (std::size_t i = 0; i < columns.size(); ++i) addColumnStats(*records[i], columns[i]);
        return;
    } catch (const Error&) {
        // Which branch failed is not known here: read them one by one below.
    }
    for (std::size_t i = 0; i < branches.size(); ++i) {
        try {
            addColumnStats(*records[i], tree.readBranch(*branches[i]));
        } catch (const Error& error) {
            (*records[i])["error"] = error.what();
        }
    }
}

json treeStats(const root::RootFile& file, const root::RootFile::KeyEntry& entry) {
    const auto tree = root::Tree::open(file, keySpec(entry));
    json out = {
        {"path", entry.path},     {"class", tree->className()},    {"name", tree->name()},
        {"title", tree->title()}, {"entries", tree->numEntries()}, {"cycle", entry.key->fCycle}};
    json& branches = out["branches"] = json::array();
    std::vector<std::size_t> to_read;  // indices of the branches with values
    for (const root::TBranch* branch : tree->branches()) {
        const auto summary = summarizeBranch(*tree, *branch);
        if (summary.has_data && summary.readable) to_read.push_back(branches.size());
        branches.push_back(branchRecord(*tree, summary));
    }
    // `branches` is complete: pointers to its records stay valid while groups are read.
    for (std::size_t first = 0; first < to_read.size(); first += kBranchesPerRead) {
        std::vector<const root::TBranch*> group;
        std::vector<json*> records;
        for (std::size_t k = first; k < std::min(first + kBranchesPerRead, to_read.size()); ++k) {
            group.push_back(tree->branches()[to_read[k]]);
            records.push_back(&branches[to_read[k]]);
        }
        readGroup(*tree, group, records);
    }
    return out;
}

// ---------------------------------------------------------------- table output

// Numbers as the shortest text that reads back the same (fmt's), strings as they are.
std::string shownText(const json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_float()) return fmt::format("{}", value.get<double>());
    return value.dump();
}

// Strings of string statistics are quoted (they may be empty); "NaN" of numbers is not.
std::string firstText(const json& stats, bool quoted) {
    std::string text;
    for (const auto& value : stats.at("first"))
        text += (text.empty() ? "" : ", ") + (quoted ? value.dump() : shownText(value));
    return text;
}

void addStatsRow(TextTable& table, const std::string& label, const json& stats) {
    const auto count = std::to_string(stats.at("count").get<std::int64_t>());
    if (stats.contains("total_length")) {
        table.addRow({label, count, "", "",
                      fmt::format("{} chars", stats.at("total_length").get<std::int64_t>()),
                      firstText(stats, true)});
        return;
    }
    table.addRow({label, count, stats.contains("min") ? shownText(stats.at("min")) : "",
                  stats.contains("max") ? shownText(stats.at("max")) : "",
                  shownText(stats.at("sum")), firstText(stats, false)});
}

void printTable(const json& stats, std::ostream& out) {
    out << fmt::format("{}  (ROOT {}, compression {})\n", stats.at("file").get<std::string>(),
                       formatRootVersion(stats.at("root_version").get<int>()),
                       compressionName(stats.at("compression").at("setting").get<int>()));
    for (const auto& tree : stats.at("trees")) {
        out << fmt::format("\n{} ({}): {} entries\n", tree.at("path").get<std::string>(),
                           tree.at("class").get<std::string>(),
                           tree.at("entries").get<std::int64_t>());
        TextTable table;
        table.addRow({"BRANCH", "COUNT", "MIN", "MAX", "SUM", "FIRST"});
        for (const auto& branch : tree.at("branches")) {
            const std::string path = branch.at("path");
            if (branch.contains("error")) {
                table.addRow(
                    {path, "", "", "", "", "error: " + branch.at("error").get<std::string>()});
                continue;
            }
            if (branch.contains("note")) {
                table.addRow(
                    {path, "", "", "", "", "(" + branch.at("note").get<std::string>() + ")"});
                continue;
            }
            for (const char* key : {"values", "strings"})
                if (branch.contains(key)) addStatsRow(table, path, branch.at(key));
            if (branch.contains("members"))
                for (const auto& [member, member_stats] : branch.at("members").items())
                    addStatsRow(table, path + " " + member, member_stats);
        }
        table.print(out, "  ");
    }
    if (stats.contains("errors"))
        for (const auto& error : stats.at("errors"))
            out << fmt::format("\n{}: error: {}\n", error.at("path").get<std::string>(),
                               error.at("error").get<std::string>());
}

}  // namespace

json fileStats(const root::RootFile& file) {
    const auto& header = file.header();
    json out = {{"file", std::filesystem::path(file.url()).filename().string()},
                {"size", file.source().size()},
                {"root_version", header.rootVersion()},
                {"compression",
                 {{"setting", header.fCompress},
                  {"algorithm", compressionName(header.fCompress)},
                  {"level", header.fCompress % 100}}},
                {"reader", "hepflow"}};
    json& keys = out["keys"] = json::array();
    for (const auto& [path, key] : file.allKeys()) keys.push_back(keyJson(path, *key));
    if (const root::Key* streamers = file.streamerInfoKey())
        keys.push_back(keyJson(streamers->fName, *streamers));
    json& trees = out["trees"] = json::array();
    for (const auto& entry : treeKeys(file)) {
        try {
            trees.push_back(treeStats(file, entry));
        } catch (const Error& error) {
            // As the reference does: the tree is listed under "errors" and the rest carries on.
            out["errors"].push_back({{"path", entry.path},
                                     {"cycle", entry.key->fCycle},
                                     {"class", entry.key->fClassName},
                                     {"error", error.what()}});
        }
    }
    return out;
}

void runStats(const std::string& file_name, bool as_json, std::ostream& out) {
    const auto file = root::RootFile::open(file_name);
    const json stats = fileStats(*file);
    if (as_json)
        out << stats.dump(1, ' ', false, json::error_handler_t::replace) << '\n';
    else
        printTable(stats, out);
}

}  // namespace hepflow::cli
