// Selective reads (Tree::readBranches with rows): for every branch of every tree of every test
// file, the selected rows equal the whole read filtered by frame's filterRows, an independent
// row copy; and bad row lists are usage errors.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "frame/kernels/jagged_kernels.h"
#include "root/root_file.h"
#include "root/tree/tree.h"
#include "support/test_support.h"

namespace hepflow::root {
namespace {

using frame::Column;
using test::dataPath;

// Row selections of `n` rows: none, all, sparse random (about the 13% a trigger keeps), every
// third, long runs, and the first and last rows alone.
std::vector<std::vector<std::int64_t>> selectionsOf(std::int64_t n) {
    std::vector<std::vector<std::int64_t>> out(6);
    static const std::uint64_t seed = test::testSeed("SelectedRows");
    std::mt19937_64 random(seed);
    for (std::int64_t row = 0; row < n; ++row) {
        out[1].push_back(row);
        if (random() % 8 == 0) out[2].push_back(row);
        if (row % 3 == 1) out[3].push_back(row);
        if ((row / 7) % 2 == 0) out[4].push_back(row);
    }
    if (n > 0) out[5] = n > 1 ? std::vector<std::int64_t>{0, n - 1} : std::vector<std::int64_t>{0};
    return out;
}

std::vector<std::uint8_t> maskOf(const std::vector<std::int64_t>& rows, std::int64_t n) {
    std::vector<std::uint8_t> keep(static_cast<std::size_t>(n), 0);
    for (const std::int64_t row : rows) keep[static_cast<std::size_t>(row)] = 1;
    return keep;
}

void expectSameColumn(const Column& a, const Column& b, const std::string& what) {
    EXPECT_EQ(a.dtype(), b.dtype()) << what;
    EXPECT_EQ(a.length(), b.length()) << what;
    ASSERT_EQ(a.levels(), b.levels()) << what;
    for (std::size_t level = 0; level < a.levels(); ++level)
        EXPECT_EQ(a.offsets(level), b.offsets(level)) << what << " level " << level;
    if (a.levels() == 0) {
        EXPECT_EQ(a.bytes(), b.bytes()) << what;
    } else {
        // Values past the last offset belong to no row; compare those the rows hold.
        const auto size = frame::dtypeSize(a.dtype());
        const auto used = static_cast<std::size_t>(a.offsets(a.levels() - 1).back()) * size;
        ASSERT_LE(used, a.bytes().size()) << what;
        ASSERT_LE(used, b.bytes().size()) << what;
        EXPECT_TRUE(std::equal(a.bytes().begin(), a.bytes().begin() + used, b.bytes().begin()))
            << what;
    }
    ASSERT_EQ(a.members().size(), b.members().size()) << what;
    for (std::size_t m = 0; m < a.members().size(); ++m)
        expectSameColumn(a.members()[m].second, b.members()[m].second,
                         what + "." + a.members()[m].first);
}

TEST(SelectedRows, EqualTheWholeReadFilteredForEveryBranchOfEveryFile) {
    int compared = 0;
    for (const auto& [file_name, file_json] : test::expectedJson().at("files").items()) {
        const auto file = RootFile::open(dataPath(file_name));
        for (const auto& tree_json : file_json.at("trees")) {
            const std::string tree_path = tree_json.at("path").get<std::string>();
            SCOPED_TRACE(file_name + ":" + tree_path);
            const auto tree = Tree::open(*file, tree_path);
            std::vector<const TBranch*> branches;
            for (const TBranch* branch : tree->branches()) {
                const BranchInfo& info = tree->branchInfo(*branch);
                if (info.interpretation && !info.baskets.empty() &&
                    info.interpretation->kind() != InterpretationKind::NoData &&
                    info.num_entries == tree->numEntries())
                    branches.push_back(branch);
            }
            if (branches.empty()) continue;
            const std::int64_t n = tree->numEntries();
            for (const auto& [begin, end] :
                 {std::pair<std::int64_t, std::int64_t>{0, n}, {n / 3, n - n / 4}}) {
                const auto whole = tree->readBranches(branches, begin, end);
                for (const auto& rows : selectionsOf(end - begin)) {
                    const auto selected = tree->readBranches(branches, begin, end, rows);
                    ASSERT_EQ(selected.size(), branches.size());
                    const auto keep = maskOf(rows, end - begin);
                    for (std::size_t k = 0; k < branches.size(); ++k) {
                        const Column expected = frame::kernels::filterRows(whole[k], keep);
                        expectSameColumn(selected[k], expected,
                                         branches[k]->path + " of " + std::to_string(rows.size()) +
                                             " rows in [" + std::to_string(begin) + ", " +
                                             std::to_string(end) + ")");
                        ++compared;
                    }
                }
            }
        }
    }
    EXPECT_GT(compared, 5000);
}

TEST(SelectedRows, RowsOutOfOrderOrRangeAreUsageErrors) {
    const auto file = RootFile::open(dataPath("nanoAOD_2015_CMS_Open_Data_ttbar.root"));
    const auto tree = Tree::open(*file, "Events");
    const std::vector<const TBranch*> branches = {tree->findBranch("Muon_pt"),
                                                  tree->findBranch("run")};
    const std::int64_t n = tree->numEntries();
    const std::vector<std::int64_t> descending = {3, 1};
    const std::vector<std::int64_t> repeated = {2, 2};
    const std::vector<std::int64_t> past_end = {0, n};
    const std::vector<std::int64_t> negative = {-1, 4};
    for (const auto* rows : {&descending, &repeated, &past_end, &negative})
        EXPECT_THROW(tree->readBranches(branches, 0, n, *rows), UsageError);
    const std::vector<std::int64_t> past_range = {0, 10};
    EXPECT_THROW(tree->readBranches(branches, 5, 15, past_range), UsageError);
    const auto fine = tree->readBranches(branches, 5, 15, std::vector<std::int64_t>{0, 9});
    EXPECT_EQ(fine[0].length(), 2);
    EXPECT_EQ(fine[1].length(), 2);
}

}  // namespace
}  // namespace hepflow::root
