// The compiled form of an expression: a flat list of instructions over numbered registers that
// hold whole columns. The compiler (compiler.cpp) builds it once; evaluate() runs it per batch
// with registers of its own, so one program serves concurrent batches.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "frame/columns/column.h"
#include "frame/expr/expression.h"

namespace hepflow::frame::expr::detail {

// A register: a column borrowed from the batch (loaded inputs) or owned (computed).
struct Register {
    const Column* borrowed = nullptr;
    Column owned;

    const Column& column() const { return borrowed != nullptr ? *borrowed : owned; }
    void set(Column column) {
        owned = std::move(column);
        borrowed = nullptr;
    }
    void release() {
        owned = Column();
        borrowed = nullptr;
    }
};

// The state of one evaluate() call. Buffers of released registers are kept for the outputs
// of later instructions: fresh multi-megabyte allocations cost a page fault per 4 KiB, which
// on VMs costs more than the loops that fill them.
struct Frame {
    const ColumnBatch* batch = nullptr;
    std::vector<Register> registers;
    const std::string* text = nullptr;  // the expression, for run-time error messages
    std::vector<Bytes> spare_values;
    std::vector<Offsets> spare_offsets;

    // Registers whose last reader is the running instruction (set by evaluate()).
    const std::vector<int>* dying = nullptr;

    const Column& in(int reg) const { return registers[static_cast<std::size_t>(reg)].column(); }
    // True when the running instruction may take `reg`'s owned buffers: it reads it last.
    bool isDying(int reg) const {
        if (dying == nullptr || registers[static_cast<std::size_t>(reg)].borrowed != nullptr)
            return false;
        for (int r : *dying)
            if (r == reg) return true;
        return false;
    }
    Column& owned(int reg) { return registers[static_cast<std::size_t>(reg)].owned; }
    void set(int reg, Column column) {
        registers[static_cast<std::size_t>(reg)].set(std::move(column));
    }

    void release(int reg) {
        auto& r = registers[static_cast<std::size_t>(reg)];
        if (r.borrowed == nullptr) recycle(r.owned);
        r.release();
    }
    void recycle(Column& column) {
        for (auto& [name, member] : column.members()) recycle(member);
        keepSpare(spare_values, column.bytes(), 1);
        for (std::size_t level = 0; level < column.levels(); ++level)
            keepSpare(spare_offsets, column.offsets(level), sizeof(std::int64_t));
    }
    // A buffer of exactly `size` bytes, recycled where one is large enough (contents undefined).
    Bytes takeValues(std::size_t size) {
        Bytes out = takeSpare(spare_values, size);
        out.resize(size);
        return out;
    }
    Offsets takeOffsets(std::size_t size) {
        Offsets out = takeSpare(spare_offsets, size);
        out.resize(size);
        return out;
    }

    // Keeps the largest buffers: a full list drops its smallest for a larger newcomer.
    template <class V>
    static void keepSpare(std::vector<V>& spares, V& buffer, std::size_t item_size) {
        constexpr std::size_t kMinBytes = 64 * 1024;  // small buffers are cheap to allocate
        // Few: the pool is per thread and outlives each evaluate(), and the largest buffers of
        // every expression a reduction runs add up. 24 held 17 MB more of the ttbar example's
        // peak (100 against 83 MB, 43 against 35 huge-page faults at 1 thread) and cost it
        // 4-6% of its time; the expression patterns (bench_expr) need no more than 8.
        constexpr std::size_t kMaxSpares = 8;
        if (buffer.capacity() * item_size < kMinBytes) return;
        if (spares.size() < kMaxSpares) {
            spares.push_back(std::move(buffer));
            return;
        }
        std::size_t smallest = 0;
        for (std::size_t i = 1; i < spares.size(); ++i)
            if (spares[i].capacity() < spares[smallest].capacity()) smallest = i;
        if (spares[smallest].capacity() < buffer.capacity()) spares[smallest] = std::move(buffer);
    }

private:
    template <class V>
    static V takeSpare(std::vector<V>& spares, std::size_t size) {
        std::size_t best = spares.size();
        for (std::size_t i = 0; i < spares.size(); ++i)
            if (spares[i].capacity() >= size &&
                (best == spares.size() || spares[i].capacity() < spares[best].capacity()))
                best = i;
        if (best == spares.size()) return {};
        V out = std::move(spares[best]);
        spares.erase(spares.begin() + static_cast<std::ptrdiff_t>(best));
        return out;
    }
};

struct Instruction {
    std::vector<int> inputs;
    std::vector<int> outputs;
    std::function<void(Frame&)> run;
    // Filled by the compiler after dead-code elimination: registers whose last reader this is.
    std::vector<int> release_after;
};

// What CompiledExpression::Program holds (that name is private to the public class).
struct ProgramData {
    std::string text;
    ResultType type;
    std::vector<std::string> inputs;
    std::vector<Instruction> instructions;
    int num_registers = 0;
    int result_register = -1;
};

}  // namespace hepflow::frame::expr::detail
