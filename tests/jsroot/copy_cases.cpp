// The copy cases and what a copy must hold: the source read by hepflow (whose reading the
// golden and live JSROOT tests vouch for) over the case's entries, under the output names.
#include "copy_cases.h"

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "frame/columns/column_stats.h"
#include "output.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "stats_compare.h"
#include "support/test_support.h"

namespace hepflow::copycheck {
namespace {

using nlohmann::json;
using statscheck::get;
using statscheck::show;

bool selected(const CopyCase& copy_case, const root::TBranch& branch) {
    if (copy_case.globs.empty()) return true;
    return std::any_of(copy_case.globs.begin(), copy_case.globs.end(), [&](const auto& glob) {
        return cli::globMatch(glob, branch.fName) || cli::globMatch(glob, branch.path);
    });
}

// `hepflow copy --help`: array dimensions dropped, '.' -> '_', and the size branch of a split
// collection (a TClonesArray or STL container with sub-branches) named "n" + its name.
std::string copiedName(const root::TBranch& branch) {
    std::string name = branch.fName.substr(0, branch.fName.find('['));
    std::replace(name.begin(), name.end(), '.', '_');
    if (branch.is_element && !branch.fBranches.empty() && (branch.fType == 3 || branch.fType == 4))
        name = "n" + name;
    return name;
}

// A branch the writer added: a flat counter whose values are the lengths of a copied array.
bool isAddedCounter(const json& branch, const ExpectedCopy& expected) {
    const json values = get(branch, "values");
    if (get(values, "count") != expected.entries || branch.contains("lengths_first")) return false;
    return std::any_of(expected.branches.begin(), expected.branches.end(), [&](const auto& e) {
        const json& stats = e.second;
        return stats.contains("lengths_first") && stats.contains("values") &&
               get(stats["values"], "count") == get(values, "sum") &&
               get(stats, "lengths_first") == get(values, "first");
    });
}

}  // namespace

const std::vector<CopyCase>& copyCases() {
    static const std::vector<CopyCase> cases = [] {
        std::vector<CopyCase> all;
        // Returns the new case for the fields not given here; valid until the next add.
        const auto add = [&](std::string name, std::string file, std::string tree,
                             std::vector<std::string> args = {}) -> CopyCase& {
            CopyCase copy_case;
            copy_case.name = std::move(name);
            copy_case.file = std::move(file);
            copy_case.tree = std::move(tree);
            copy_case.args = std::move(args);
            return all.emplace_back(std::move(copy_case));
        };
        const std::string nano = "nanoAOD_2015_CMS_Open_Data_ttbar.root";
        // Compression: as the input's (each HZZ file has another algorithm) unless given.
        add("TNtuple", "TNtuple.root", "n1");
        add("nanoAOD", nano, "Events", {"--compression", "zstd:5"});
        auto& muons = add("nanoAOD_muons_vector", nano, "Events",
                          {"--jagged", "vector", "--compression", "lzma:9"});
        muons.globs = {"Muon_*", "nMuon", "run", "event"};
        muons.begin = 20;
        muons.end = 150;
        // An empty tree: branches without baskets, char* strings.
        add("string_example", "string-example.root", "Refs");
        add("large_array_lz4", "tree_with_large_array_lzma.root", "t1", {"--compression", "lz4:4"});
        // LZMA (the input's) on baskets whose compressed size passes 64 KiB.
        add("large_array_lzma", "tree_with_large_array_lzma.root", "t1");
        add("HZZ_lz4", "uproot-HZZ-lz4.root", "events");
        add("HZZ_lzma", "uproot-HZZ-lzma.root", "events");
        add("HZZ_uncompressed", "uproot-HZZ-uncompressed.root", "events");
        add("HZZ_zstd", "uproot-HZZ-zstd.root", "events");
        add("HZZ_zlib", "uproot-HZZ.root", "events");
        auto& range =
            add("HZZ_muons_range", "uproot-HZZ.root", "events", {"--compression", "zlib:6"});
        range.globs = {"Muon_P*", "NMuon"};
        range.begin = 100;
        range.end = 2000;
        add("Zmumu_vector", "uproot-Zmumu.root", "events", {"--jagged", "vector"});
        // Delphes: the second "Particle" collection repeats the first one's names, so both stay
        // out; TRef, TRefArray and TLorentzVector members are objects.
        auto& delphes = add("Delphes", "uproot-issue513.root", "Delphes", {"--skip-unwritable"});
        delphes.globs = {"Event*", "Track*", "EFlow*", "Jet*", "GenJet*"};
        delphes.unwritable = 22;
        add("nesteddirs_one_two", "uproot-nesteddirs.root", "one/two/tree");
        add("nesteddirs_one", "uproot-nesteddirs.root", "one/tree");
        add("nesteddirs_three", "uproot-nesteddirs.root", "three/tree", {"--compression", "none"});
        // Fixed arrays of every type, counted arrays, char*; ai1 is checked as in the golden test.
        add("sample", "uproot-sample-6.20.04-zlib.root", "sample");
        add("sample_vector", "uproot-sample-6.20.04-zlib.root", "sample",
            {"--jagged", "vector", "--compression", "zstd:1"});
        // A split object: TString, std::string, vector<string>, fixed and counted arrays.
        add("fullsplit", "uproot-small-evnt-tree-fullsplit.root", "tree");
        // Maps are objects, strings nested twice have no writer layout; sets become vectors.
        auto& stl =
            add("stl_containers", "uproot-stl_containers.root", "tree", {"--skip-unwritable"});
        stl.unwritable = 17;
        stl.not_writable = {"vector_vector_string", "vector_vector_tstring", "vector_set_string"};
        add("vectorVectorDouble", "uproot-vectorVectorDouble.root", "t");
        return all;
    }();
    return cases;
}

std::vector<std::string> copyArguments(const CopyCase& copy_case, const std::string& output) {
    std::vector<std::string> args = {"copy", test::dataPath(copy_case.file) + ":" + copy_case.tree,
                                     output};
    if (copy_case.begin != 0 || copy_case.end >= 0)
        args.push_back(fmt::format("--entries={}:{}", copy_case.begin,
                                   copy_case.end < 0 ? "" : std::to_string(copy_case.end)));
    if (!copy_case.globs.empty()) {
        args.push_back("-b");
        args.insert(args.end(), copy_case.globs.begin(), copy_case.globs.end());
    }
    args.insert(args.end(), copy_case.args.begin(), copy_case.args.end());
    return args;
}

ExpectedCopy expectedCopy(const CopyCase& copy_case) {
    const auto file = root::RootFile::open(test::dataPath(copy_case.file));
    const auto tree = root::Tree::open(*file, copy_case.tree);
    ExpectedCopy expected;
    const std::int64_t end = copy_case.end < 0 ? tree->numEntries() : copy_case.end;
    expected.entries = end - copy_case.begin;
    for (const root::TBranch* branch : tree->branches()) {
        if (!selected(copy_case, *branch)) continue;
        const auto& info = tree->branchInfo(*branch);
        if (info.interpretation == nullptr) {
            ++expected.unwritable;
            continue;
        }
        if (info.interpretation->kind() == root::InterpretationKind::NoData) continue;
        if (std::count(copy_case.not_writable.begin(), copy_case.not_writable.end(), branch->path) >
            0) {
            ++expected.unwritable;
            continue;
        }
        if (info.interpretation->makeColumn().dtype() == frame::DType::Struct) {
            ++expected.unwritable;
            continue;
        }
        const bool has_entries = branch->fEntries > 0 || branch->fWriteBasket > 0;
        const frame::Column column = has_entries ? tree->readBranch(*branch, copy_case.begin, end)
                                                 : info.interpretation->makeColumn();
        expected.branches.emplace_back(copiedName(*branch),
                                       cli::statsJson(frame::computeColumnStats(column)));
    }
    return expected;
}

std::vector<std::string> compareCopy(const ExpectedCopy& expected, const json& copy) {
    std::vector<std::string> failures;
    if (get(copy, "entries") != expected.entries)
        failures.push_back(
            fmt::format("entries {} != {}", show(get(copy, "entries")), expected.entries));
    std::map<std::string, const json*> by_name;
    for (const auto& branch : copy.at("branches")) by_name[branch.at("path")] = &branch;
    for (const auto& [name, stats] : expected.branches) {
        const auto found = by_name.find(name);
        if (found == by_name.end()) {
            failures.push_back(name + ": missing from the copy");
            continue;
        }
        statscheck::Diff diff;
        // A branch with no entries: the copy has none either (and says so).
        if (get(stats, "entries_read") == 0 && found->second->contains("note")) {
            by_name.erase(found);
            continue;
        }
        statscheck::compareBranchValues(stats, *found->second, diff);
        for (const auto& line : diff.lines) failures.push_back(name + ": " + line);
        by_name.erase(found);
    }
    for (const auto& [name, branch] : by_name)
        if (!isAddedCounter(*branch, expected))
            failures.push_back(name +
                               ": in the copy but not expected: " + branch->dump().substr(0, 300));
    return failures;
}

const json* findTree(const json& dump, const std::string& path) {
    for (const auto& tree : dump.at("trees"))
        if (tree.at("path") == path) return &tree;
    return nullptr;
}

}  // namespace hepflow::copycheck
