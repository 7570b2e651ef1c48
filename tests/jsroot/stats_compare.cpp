// The comparison rules of stats_compare.h: per-value checks, branches without data, and the
// two places where the JSROOT reference cannot be taken literally (a branch it cannot read,
// and TObject::fBits of referenced objects, which it misreads).
#include "stats_compare.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "frame/columns/column_stats.h"
#include "output.h"
#include "root/tree/tree.h"

namespace hepflow::statscheck {
namespace {

bool sameNumber(const json& expected, const json& actual) {
    return expected.is_number() && actual.is_number() &&
           expected.get<double>() == actual.get<double>();
}

bool closeSum(double expected, double actual) {
    constexpr double kRelative = 1e-9;
    constexpr double kAbsoluteNearZero = 1e-9;
    const double scale = std::max(std::abs(expected), std::abs(actual));
    return std::abs(expected - actual) <= std::max(kAbsoluteNearZero, kRelative * scale);
}

// A "first" element: numbers compare as doubles, exact; text ("NaN", 64-bit integers
// beyond 2^53) compares as text.
bool sameShown(const json& expected, const json& actual) {
    if (expected.is_string()) return actual.is_string() && expected == actual;
    return sameNumber(expected, actual);
}

void compareNumbers(const std::string& where, const json& expected, const json& actual,
                    Diff& diff) {
    if (!actual.is_object() || !actual.contains("sum")) {
        diff.add(where, "hepflow has no numeric values (reference " + show(expected) + ")");
        return;
    }
    if (get(expected, "count") != get(actual, "count"))
        diff.add(where,
                 "count " + show(get(actual, "count")) + " != " + show(get(expected, "count")));
    if (!closeSum(expected.at("sum").get<double>(), actual.at("sum").get<double>()))
        diff.add(where, "sum " + show(actual.at("sum")) + " != " + show(expected.at("sum")));
    for (const char* key : {"min", "max"}) {
        const json e = get(expected, key), a = get(actual, key);
        if (e.is_null() != a.is_null() || (!e.is_null() && !sameNumber(e, a)))
            diff.add(where, std::string(key) + " " + show(a) + " != " + show(e));
    }
    for (const char* key : {"nan_count", "inf_count"}) {
        // Missing means 0 on both sides.
        const auto e = expected.value(key, std::int64_t{0}), a = actual.value(key, std::int64_t{0});
        if (e != a) diff.add(where, fmt::format("{} {} != {}", key, a, e));
    }
    const json e = get(expected, "first"), a = get(actual, "first");
    bool same = a.is_array() && e.size() == a.size();
    for (std::size_t i = 0; same && i < e.size(); ++i) same = sameShown(e[i], a[i]);
    if (!same) diff.add(where, "first " + show(a) + " != " + show(e));
}

void compareStrings(const std::string& where, const json& expected, const json& actual,
                    Diff& diff) {
    if (!actual.is_object() || !actual.contains("total_length")) {
        diff.add(where, "hepflow has no strings (reference " + show(expected) + ")");
        return;
    }
    for (const char* key : {"count", "total_length", "first"})
        if (get(expected, key) != get(actual, key))
            diff.add(where, std::string(key) + " " + show(get(actual, key)) +
                                " != " + show(get(expected, key)));
}

// Branch metadata the reference and hepflow both take from the TBranch record.
void compareBranchMetadata(const json& expected, const json& actual, Diff& diff) {
    for (const char* key : {"name", "class", "title", "entries", "baskets"})
        if (get(expected, key) != get(actual, key))
            diff.add(key, show(get(actual, key)) + " != " + show(get(expected, key)));
}

// A branch without data of its own (split-object parent, or no entries at all).
void compareNoData(const json& expected, const json& actual, Diff& diff) {
    if (!actual.contains("note")) diff.add("note", "hepflow does not report 'no data'");
    const json values = get(actual, "values");
    if (!values.is_null() && get(values, "count") != 0)
        diff.add("values", "hepflow has values: " + values.dump().substr(0, 200));
    for (const char* key : {"strings", "members", "error"})
        if (actual.contains(key)) diff.add(key, "hepflow has " + std::string(key));
    if (expected.contains("values")) compareNumbers("values", expected["values"], values, diff);
}

// ---------------------------------------------------------------- branches JSROOT cannot read

// `branch` (which JSROOT reports as an error) must hold exactly the values of `twin`, cast
// to the branch's type. Why the twin is a valid reference is written next to each entry.
struct AlternativeCheck {
    const char* file;
    const char* branch;
    const char* twin;
    const char* why;
};
constexpr AlternativeCheck kAlternativeChecks[] = {
    {"uproot-sample-6.20.04-zlib.root", "ai1", "ai2",
     "uproot's sample file fills ai1 (Char_t[3]), ai2 (Short_t[3]), ai4 and ai8 with the same "
     "numbers, -14..17, all within Char_t; the reference has ai2, ai4 and ai8 and they agree"},
};

// One reference tree, hepflow's statistics of it, and the tree itself for the checks that
// read values (opened on first use).
struct TreeUnderTest {
    const std::string& check_name;
    const root::RootFile& file;
    const json& reference;
    const json& stats;
    std::unique_ptr<root::Tree> opened;

    const root::Tree& tree() {
        if (!opened) opened = root::Tree::open(file, reference.at("path").get<std::string>());
        return *opened;
    }
    // The column of the branch whose record is stats["branches"][index].
    frame::Column read(std::size_t index) {
        return tree().readBranch(*tree().branches().at(index));
    }
    std::size_t indexOf(std::string_view path) {
        const auto& branches = tree().branches();
        for (std::size_t i = 0; i < branches.size(); ++i)
            if (branches[i]->path == path) return i;
        throw std::runtime_error("no branch " + std::string(path));
    }
};

template <class T>
std::vector<double> asDoubles(const frame::Column& column) {
    const auto values = column.values<T>();
    return {values.begin(), values.end()};
}

std::vector<double> numbersOf(const frame::Column& column) {
    switch (column.dtype()) {
        case frame::DType::Int8: return asDoubles<std::int8_t>(column);
        case frame::DType::Int16: return asDoubles<std::int16_t>(column);
        case frame::DType::Int32: return asDoubles<std::int32_t>(column);
        case frame::DType::Int64: return asDoubles<std::int64_t>(column);
        default:
            throw std::runtime_error("unexpected type " + std::string(dtypeName(column.dtype())));
    }
}

// ai1 vs ai2: same entries, same offsets, every value equal to ai2's value cast to int8; and
// ai1's statistics equal the reference's statistics of ai2 (so the check does not rest on
// hepflow alone).
void checkAgainstTwin(TreeUnderTest& under_test, const json& mine, std::size_t index,
                      const AlternativeCheck& check, Diff& diff) {
    const auto branch = under_test.read(index);
    const auto twin = under_test.read(under_test.indexOf(check.twin));
    if (branch.dtype() != frame::DType::Int8)
        diff.add("type", std::string("expected int8, hepflow gives ") +
                             std::string(frame::dtypeName(branch.dtype())));
    if (branch.length() != twin.length() || branch.levels() != twin.levels()) {
        diff.add("shape", "differs from " + std::string(check.twin));
        return;
    }
    for (std::size_t level = 0; level < branch.levels(); ++level)
        if (branch.offsets(level) != twin.offsets(level)) diff.add("offsets", "differ from twin");
    const auto values = numbersOf(branch), twin_values = numbersOf(twin);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < std::min(values.size(), twin_values.size()); ++i)
        if (values[i] != static_cast<double>(static_cast<std::int8_t>(twin_values[i]))) ++bad;
    if (values.size() != twin_values.size() || bad > 0)
        diff.add("values", std::to_string(bad) + " values differ from int8(" + check.twin + ")");
    for (const auto& twin_ref : under_test.reference.at("branches"))
        if (twin_ref.at("path") == check.twin) compareBranchValues(twin_ref, mine, diff);
}

// ---------------------------------------------------------------- where JSROOT reads wrong

// ROOT streams TObject::fBits of a split object (streamer type kBits) followed by a 2-byte
// process-id index when the object is referenced (bit kIsReferenced; TObject::Streamer,
// ROOT-FORMAT.md 4.4). JSROOT reads 4 bytes per object and skips nothing, so for Delphes'
// referenced particles and tracks its numbers are misaligned words: 50331664 (0x03000010),
// then 768 (the pid 0x0000 and half of the next fBits), 1048576, ... Where hepflow's values
// carry the bit, the reference is compared with hepflow's values written back the way ROOT
// wrote them (pid index 0: the file has one TProcessID) and read back 4 bytes at a time from
// each entry's start, as JSROOT does. Matching every statistic exactly confirms both readers
// see the same bytes.
constexpr int kStreamerTypeBits = 15;
constexpr std::uint32_t kIsReferenced = 0x10;

bool hasReferencedObjects(const frame::Column& bits) {
    const auto values = bits.values<std::uint32_t>();
    return std::any_of(values.begin(), values.end(),
                       [](std::uint32_t v) { return (v & kIsReferenced) != 0; });
}

frame::Column asJsrootReadsBits(const frame::Column& bits) {
    const auto values = bits.values<std::uint32_t>();
    const auto& offsets = bits.offsets(0);
    frame::Column misread(frame::DType::UInt32, 1);
    misread.offsets(0) = offsets;
    for (std::size_t entry = 0; entry + 1 < offsets.size(); ++entry) {
        std::vector<std::uint8_t> bytes;
        for (auto i = offsets[entry]; i < offsets[entry + 1]; ++i) {
            const std::uint32_t v = values[static_cast<std::size_t>(i)];
            for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back((v >> shift) & 0xFF);
            if (v & kIsReferenced) bytes.insert(bytes.end(), {0, 0});  // pid index 0
        }
        for (auto i = offsets[entry]; i < offsets[entry + 1]; ++i) {
            const auto at = static_cast<std::size_t>(i - offsets[entry]) * 4;
            misread.append<std::uint32_t>((std::uint32_t{bytes[at]} << 24) |
                                          (std::uint32_t{bytes[at + 1]} << 16) |
                                          (std::uint32_t{bytes[at + 2]} << 8) | bytes[at + 3]);
        }
    }
    return misread;
}

// ---------------------------------------------------------------- one branch, one tree

void checkBranch(TreeUnderTest& under_test, const json& branch_ref, const json& mine, Tally& tally,
                 Diff& diff) {
    compareBranchMetadata(branch_ref, mine, diff);
    const std::string path = branch_ref.at("path");
    const auto index = static_cast<std::size_t>(&mine - &under_test.stats.at("branches")[0]);
    if (branch_ref.contains("error")) {
        const auto* check =
            std::find_if(std::begin(kAlternativeChecks), std::end(kAlternativeChecks),
                         [&](const AlternativeCheck& c) {
                             return under_test.check_name == c.file && path == c.branch;
                         });
        if (check == std::end(kAlternativeChecks)) {
            diff.add("error", "JSROOT cannot read it (" + branch_ref.at("error").dump() +
                                  ") and no alternative check exists");
            return;
        }
        std::cout << "[ compare  ] " << under_test.check_name << ":" << path
                  << ": JSROOT error, checked as " << check->twin << " (" << check->why << ")\n";
        checkAgainstTwin(under_test, mine, index, *check, diff);
        ++tally.alternative;
    } else if (branch_ref.contains("note")) {
        compareNoData(branch_ref, mine, diff);
        ++tally.no_data;
    } else if (branch_ref.value("streamer_type", 0) == kStreamerTypeBits &&
               !mine.contains("error") && hasReferencedObjects(under_test.read(index))) {
        std::cout << "[ compare  ] " << under_test.check_name << ":" << path
                  << ": referenced objects, compared as JSROOT misreads them\n";
        json misread =
            cli::statsJson(frame::computeColumnStats(asJsrootReadsBits(under_test.read(index))));
        compareBranchValues(branch_ref, misread, diff);
        ++tally.alternative;
    } else {
        compareBranchValues(branch_ref, mine, diff);
    }
}

// Every branch of one reference tree; returns the differences as "tree:branch: what".
std::vector<std::string> checkTree(TreeUnderTest& under_test, Tally& tally) {
    const json& tree_ref = under_test.reference;
    const json& tree = under_test.stats;
    std::vector<std::string> failures;
    const std::string tree_path = tree_ref.at("path");
    for (const char* key : {"name", "class", "title", "entries"})
        if (get(tree, key) != get(tree_ref, key))
            failures.push_back(fmt::format("{}: {} {} != {}", tree_path, key, show(get(tree, key)),
                                           show(get(tree_ref, key))));
    if (tree.at("branches").size() != tree_ref.at("branches").size())
        failures.push_back(fmt::format("{}: {} branches, reference has {}", tree_path,
                                       tree.at("branches").size(), tree_ref.at("branches").size()));
    // Branches pair up by path and occurrence: Delphes has two "Particle" branches.
    std::map<std::string, std::vector<const json*>> by_path;
    for (const auto& branch : tree.at("branches")) by_path[branch.at("path")].push_back(&branch);
    std::map<std::string, std::size_t> seen;
    for (const auto& branch_ref : tree_ref.at("branches")) {
        const std::string path = branch_ref.at("path");
        const auto& candidates = by_path[path];
        const std::size_t occurrence = seen[path]++;
        Diff diff;
        try {
            if (occurrence < candidates.size())
                checkBranch(under_test, branch_ref, *candidates[occurrence], tally, diff);
            else
                diff.add("branch", "missing from hepflow's stats");
        } catch (const std::exception& e) {
            diff.add("check", std::string("failed: ") + e.what());
        }
        if (hasReferenceValues(branch_ref)) {
            ++tally.branches;
            tally.values += countValues(branch_ref);
        }
        for (const auto& line : diff.lines)
            failures.push_back(tree_path + ":" + path + ": " + line);
    }
    return failures;
}

// The keys of both dumps as "path;cycle class \"title\"" (JSROOT says TDirectory where
// hepflow says TDirectoryFile; both name the same record).
std::multiset<std::string> keyLines(const json& dump) {
    std::multiset<std::string> lines;
    for (const auto& key : dump.at("keys")) {
        std::string class_name = key.at("class");
        if (class_name == "TDirectory") class_name = "TDirectoryFile";
        lines.insert(fmt::format("{};{} {} \"{}\"", key.at("path").get<std::string>(),
                                 key.at("cycle").get<int>(), class_name,
                                 key.at("title").get<std::string>()));
    }
    return lines;
}

}  // namespace

json get(const json& object, const char* key) {
    return object.is_object() && object.contains(key) ? object.at(key) : json();
}

std::string show(const json& value) {
    return value.is_null() ? "(missing)" : value.dump();
}

bool hasReferenceValues(const json& branch) {
    return branch.contains("values") || branch.contains("strings") || branch.contains("members");
}

std::int64_t countValues(const json& branch) {
    std::int64_t n = 0;
    for (const char* key : {"values", "strings"})
        if (branch.contains(key)) n += branch[key].value("count", std::int64_t{0});
    if (branch.contains("members"))
        for (const auto& [path, stats] : branch["members"].items())
            n += stats.value("count", std::int64_t{0});
    return n;
}

void compareBranchValues(const json& expected, const json& actual, Diff& diff) {
    if (actual.contains("error")) {
        diff.add("read", "hepflow cannot read it: " + actual.at("error").get<std::string>());
        return;
    }
    if (expected.contains("values"))
        compareNumbers("values", expected["values"], get(actual, "values"), diff);
    if (expected.contains("strings"))
        compareStrings("strings", expected["strings"], get(actual, "strings"), diff);
    for (const char* key : {"values", "strings", "members"})
        if (!expected.contains(key) && actual.contains(key))
            diff.add(key, "hepflow has " + std::string(key) +
                              " the reference lacks: " + actual.at(key).dump().substr(0, 200));
    const json expected_members = get(expected, "members"), actual_members = get(actual, "members");
    if (expected_members.is_object()) {
        for (const auto& [path, stats] : expected_members.items()) {
            const json mine = get(actual_members, path.c_str());
            if (path.ends_with("#string"))
                compareStrings("member " + path, stats, mine, diff);
            else
                compareNumbers("member " + path, stats, mine, diff);
        }
        if (actual_members.is_object())
            for (const auto& [path, stats] : actual_members.items())
                if (!expected_members.contains(path))
                    diff.add("member " + path, "not in the reference");
    }
    const json lengths_e = get(expected, "lengths_first"), lengths_a = get(actual, "lengths_first");
    if (lengths_e != lengths_a &&
        !(lengths_e.is_null() && lengths_a.is_array() && lengths_a.empty()))
        diff.add("lengths_first", show(lengths_a) + " != " + show(lengths_e));
    if (expected.contains("entries_read") &&
        get(expected, "entries_read") != get(actual, "entries_read"))
        diff.add("entries_read",
                 show(get(actual, "entries_read")) + " != " + show(expected["entries_read"]));
}

std::string FileComparison::summary() const {
    return fmt::format(
        "{} trees, {} branches with values ({} values), {} without data, {} checked another "
        "way; {} differences",
        tally.trees, tally.branches, tally.values, tally.no_data, tally.alternative,
        failures.size());
}

FileComparison compareFile(const std::string& check_name, const root::RootFile& file,
                           const json& reference, const json& stats) {
    FileComparison result;
    auto& failures = result.failures;
    const json setting = get(get(stats, "compression"), "setting");
    const json reference_setting = get(get(reference, "compression"), "setting");
    if (setting != reference_setting)
        failures.push_back("compression setting " + show(setting) +
                           " != " + show(reference_setting));
    const auto keys = keyLines(stats), reference_keys = keyLines(reference);
    for (const auto& line : reference_keys)
        if (keys.count(line) < reference_keys.count(line))
            failures.push_back("keys: hepflow lacks " + line);
    for (const auto& line : keys)
        if (reference_keys.count(line) < keys.count(line))
            failures.push_back("keys: the reference lacks " + line);

    for (const auto& tree_ref : reference.at("trees")) {
        for (const auto& branch : tree_ref.at("branches"))
            result.reference_branches += hasReferenceValues(branch);
        const json* tree = nullptr;
        for (const auto& candidate : stats.at("trees"))
            if (candidate.at("path") == tree_ref.at("path") &&
                candidate.at("cycle") == tree_ref.at("cycle"))
                tree = &candidate;
        if (tree == nullptr) {
            failures.push_back(
                tree_ref.at("path").get<std::string>() +
                ": tree missing from hepflow's stats; errors: " + show(get(stats, "errors")));
            continue;
        }
        ++result.tally.trees;
        TreeUnderTest under_test{check_name, file, tree_ref, *tree, nullptr};
        for (auto& line : checkTree(under_test, result.tally)) failures.push_back(std::move(line));
    }
    // A tree hepflow lists that the reference does not (or could not read) is a difference too.
    for (const auto& tree : stats.at("trees")) {
        const bool known = std::any_of(
            reference.at("trees").begin(), reference.at("trees").end(), [&](const json& t) {
                return t.at("path") == tree.at("path") && t.at("cycle") == tree.at("cycle");
            });
        if (!known)
            failures.push_back(
                tree.at("path").get<std::string>() +
                ": tree not in the reference; its errors: " + show(get(reference, "errors")));
    }
    return result;
}

}  // namespace hepflow::statscheck
