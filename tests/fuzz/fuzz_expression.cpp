// libFuzzer target: the expression parser and compiler on arbitrary text, against a fixed small
// NanoAOD-like schema; what compiles is evaluated on a fixed batch of four events (one without
// any object). A hepflow::Error is an expected outcome; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "frame/columns/column.h"
#include "frame/expr/expression.h"

namespace {

using hepflow::frame::Column;
using hepflow::frame::ColumnBatch;
using hepflow::frame::DType;
using hepflow::frame::dtypeOf;
using hepflow::frame::expr::ColumnType;
using hepflow::frame::expr::Schema;

// Objects per event: muons {2, 0, 3, 1}, electrons {1, 0, 0, 2}, jets {3, 0, 4, 1}.
const std::vector<std::int64_t> kMuonOffsets = {0, 2, 2, 5, 6};
const std::vector<std::int64_t> kElectronOffsets = {0, 1, 1, 1, 3};
const std::vector<std::int64_t> kJetOffsets = {0, 3, 3, 7, 8};
constexpr std::int64_t kNumEvents = 4;

template <class T>
Column flat(const std::vector<T>& values) {
    Column c(dtypeOf<T>());
    for (T v : values) c.append(v);
    return c;
}

template <class T>
Column jagged(const std::vector<std::int64_t>& offsets, const std::vector<T>& values) {
    Column c = flat(values);
    Column out(dtypeOf<T>(), 1);
    out.offsets(0).assign(offsets.begin(), offsets.end());
    out.bytes() = std::move(c.bytes());
    return out;
}

ColumnBatch makeBatch() {
    ColumnBatch b;
    b.first_entry = 100;
    b.num_entries = kNumEvents;
    auto add = [&](const char* name, Column c) { b.columns.emplace_back(name, std::move(c)); };
    add("MET_pt", flat<float>({35.5f, 12.f, 80.25f, 0.f}));
    add("MET_phi", flat<float>({0.5f, -3.1f, 2.9f, 0.f}));
    add("nMuon", flat<std::uint32_t>({2, 0, 3, 1}));
    add("Muon_pt", jagged<float>(kMuonOffsets, {45.f, 30.f, 12.f, 55.f, 7.5f, 20.f}));
    add("Muon_eta", jagged<float>(kMuonOffsets, {0.1f, -1.2f, 2.3f, 0.f, -0.4f, 1.f}));
    add("Muon_phi", jagged<float>(kMuonOffsets, {1.f, -2.f, 3.1f, -3.1f, 0.2f, 0.f}));
    add("Muon_mass", jagged<float>(kMuonOffsets, {0.105f, 0.105f, 0.105f, 0.105f, 0.105f, 0.f}));
    add("Muon_charge", jagged<std::int32_t>(kMuonOffsets, {1, -1, -1, 1, 1, -1}));
    add("Electron_pt", jagged<float>(kElectronOffsets, {25.f, 40.f, 15.f}));
    add("Electron_eta", jagged<float>(kElectronOffsets, {-0.5f, 1.5f, -2.f}));
    add("Electron_phi", jagged<float>(kElectronOffsets, {2.f, 0.3f, -1.f}));
    add("Electron_mass", jagged<float>(kElectronOffsets, {0.f, 0.f, 0.f}));
    add("Electron_charge", jagged<std::int32_t>(kElectronOffsets, {-1, 1, -1}));
    add("Jet_pt", jagged<float>(kJetOffsets, {120.f, 60.f, 31.f, 200.f, 90.f, 45.f, 25.f, 33.f}));
    add("Jet_eta", jagged<float>(kJetOffsets, {0.f, 1.f, -2.f, 0.5f, -0.5f, 2.6f, 1.1f, 0.f}));
    add("Jet_phi", jagged<float>(kJetOffsets, {0.f, 2.f, -2.f, 1.f, -1.f, 3.f, -3.f, 0.5f}));
    add("Jet_mass", jagged<float>(kJetOffsets, {10.f, 8.f, 5.f, 20.f, 12.f, 6.f, 4.f, 5.f}));
    add("Jet_btag", jagged<float>(kJetOffsets, {0.9f, 0.1f, 0.5f, 0.05f, 0.95f, 0.3f, 0.f, 1.f}));
    return b;
}

Schema makeSchema(const ColumnBatch& batch) {
    Schema s;
    for (const auto& [name, column] : batch.columns)
        s.columns.emplace_back(name, ColumnType{column.dtype(), column.levels()});
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ColumnBatch kBatch = makeBatch();
    static const Schema kSchema = makeSchema(kBatch);
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto compiled = hepflow::frame::expr::compile(text, kSchema);
        const Column result = compiled.evaluate(kBatch);
        // The result must cover the batch, whatever its shape.
        if (result.length() != kNumEvents)
            throw hepflow::InternalError("fuzz_expression: result has the wrong length");
    } catch (const hepflow::InternalError&) {
        throw;  // a broken invariant is a bug, not an expected error
    } catch (const hepflow::Error&) {
    }
    return 0;
}
