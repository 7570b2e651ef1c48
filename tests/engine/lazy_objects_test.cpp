// The split of an object selection into lazily scheduled steps (detail/lazy_objects.h): which
// texts split, and the counter, field and index computations on a hand-built batch.
#include "frame/engine/detail/lazy_objects.h"

#include <gtest/gtest.h>

#include "sample.h"

namespace hepflow::frame::engine::detail {
namespace {

TEST(LazyObjects, WhichTextsSplit) {
    const auto split = splitObjectSelection("  Muon [Muon_pt > 20 && Muon_eta[0] > 0]\n");
    ASSERT_TRUE(split.has_value());
    EXPECT_EQ(split->collection, "Muon");
    EXPECT_EQ(split->cut, "Muon_pt > 20 && Muon_eta[0] > 0");
    for (const char* other : {"Muon", "Muon[a][b]", "f(Muon)[x]", "Muon[x] && y", "[x]", "Muon[x",
                              "Muon]x[", "1Muon[x]", ""})
        EXPECT_FALSE(splitObjectSelection(other).has_value()) << other;
    EXPECT_EQ(maskColumnName("Good"), "#Good.mask");
}

TEST(LazyObjects, CounterFieldsAndIndex) {
    ColumnBatch batch;
    batch.num_entries = 3;
    batch.columns.emplace_back(
        "#G.mask", enginetest::jaggedColumn<bool>({{true, false, true}, {}, {false, true}}));
    batch.columns.emplace_back("Muon_pt",
                               enginetest::jaggedColumn<float>({{10, 20, 30}, {}, {40, 50}}));
    batch.columns.emplace_back("Muon_charge",
                               enginetest::jaggedColumn<std::int32_t>({{1, -1, -1}, {}, {1, -1}}));
    const auto run = [&](const Computation& c) { return c.function()(batch); };
    const Column counter = run(maskCounter("G", "#G.mask"));
    ASSERT_EQ(counter.dtype(), DType::Int32);
    const auto counts = counter.values<std::int32_t>();
    EXPECT_EQ(std::vector(counts.begin(), counts.end()), (std::vector<std::int32_t>{2, 0, 1}));
    const Column pt = run(maskedField("G", "Muon_pt", "#G.mask"));
    const auto pts = pt.values<float>();
    EXPECT_EQ(std::vector(pts.begin(), pts.end()), (std::vector<float>{10, 30, 50}));
    EXPECT_EQ(pt.offsets(0), (Offsets{0, 2, 2, 3}));
    // Integer fields keep their stored type (Int_t stays Int_t in a skim); the index is Int32.
    const Column charge = run(maskedField("G", "Muon_charge", "#G.mask"));
    ASSERT_EQ(charge.dtype(), DType::Int32);
    const auto charges = charge.values<std::int32_t>();
    EXPECT_EQ(std::vector(charges.begin(), charges.end()), (std::vector<std::int32_t>{1, -1, -1}));
    EXPECT_EQ(charge.offsets(0), (Offsets{0, 2, 2, 3}));
    const Column index = run(maskedIndex("G", "#G.mask"));
    ASSERT_EQ(index.dtype(), DType::Int32);
    const auto positions = index.values<std::int32_t>();
    EXPECT_EQ(std::vector(positions.begin(), positions.end()),
              (std::vector<std::int32_t>{0, 2, 1}));
    EXPECT_EQ(index.offsets(0), (Offsets{0, 2, 2, 3}));
}

// A mask whose offsets do not start at 0 (a slice of a larger column): positions count from
// each event's first object, not from the buffer's.
TEST(LazyObjects, IndexOfASlicedMask) {
    Column mask(DType::Bool, 1);
    for (const bool keep : {true, true, false, true, true, true, false}) mask.append(keep);
    mask.offsets(0) = Offsets{2, 5, 5, 7};
    ColumnBatch batch;
    batch.num_entries = 3;
    batch.columns.emplace_back("#G.mask", std::move(mask));
    const Column index = maskedIndex("G", "#G.mask").function()(batch);
    const auto positions = index.values<std::int32_t>();
    EXPECT_EQ(std::vector(positions.begin(), positions.end()),
              (std::vector<std::int32_t>{1, 2, 0}));
    EXPECT_EQ(index.offsets(0), (Offsets{0, 2, 2, 3}));
}

}  // namespace
}  // namespace hepflow::frame::engine::detail
