// The public face of the expression language: compile() hands the text to the compiler
// (compiler.cpp); evaluate() runs the resulting program over a batch with registers of its own
// and returns the result with offsets starting at 0.
#include "frame/expr/expression.h"

#include <fmt/format.h>

#include "common/error.h"
#include "frame/expr/detail/compiler.h"
#include "frame/expr/detail/program.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::expr {

struct CompiledExpression::Program : detail::ProgramData {};

namespace {

// Result columns always start their offsets at 0 (inputs borrowed from a batch need not).
Column normalized(const Column& column) {
    if (column.dtype() == DType::Struct) {
        Column out(DType::Struct);
        for (const auto& [name, member] : column.members())
            out.members().emplace_back(name, normalized(member));
        out.setStructLength(column.length());
        return out;
    }
    if (column.levels() == 0 || column.offsets(0).front() == 0) {
        if (column.levels() == 0 ||
            static_cast<std::size_t>(column.offsets(0).back()) == column.numValues())
            return column;
    }
    const auto& offsets = column.offsets(0);
    const std::size_t size = dtypeSize(column.dtype());
    Column out(column.dtype(), 1);
    out.offsets(0).resize(offsets.size());
    // Inputs were checked when loaded and kernels build ordered offsets: a failure is a bug.
    const bool ordered = kernels::copyRebasedIfOrdered(offsets, out.offsets(0).data());
    HEPFLOW_ASSERT(ordered, "a result column with decreasing offsets");
    out.bytes() =
        copyOfRange(column.bytes().data() + static_cast<std::size_t>(offsets.front()) * size,
                    static_cast<std::size_t>(offsets.back() - offsets.front()) * size);
    return out;
}

// The same for a result the program owns: already normalized columns (nearly all) are moved,
// not copied.
Column normalizedOwned(Column column) {
    if (column.dtype() == DType::Struct) {
        for (auto& [name, member] : column.members()) member = normalizedOwned(std::move(member));
        return column;
    }
    if (column.levels() == 0 ||
        (column.offsets(0).front() == 0 &&
         static_cast<std::size_t>(column.offsets(0).back()) == column.numValues()))
        return column;
    return normalized(column);
}

// A result built in a recycled buffer may have far more capacity than values; the caller may
// keep it for long, so it gets an exact copy and the large buffer stays with the spares.
template <class V>
void compactVector(V& v, std::vector<V>& spares) {
    constexpr std::size_t kSlackBytes = 64 * 1024;
    if ((v.capacity() - v.size()) * sizeof(typename V::value_type) < kSlackBytes) return;
    V exact(v.begin(), v.end());
    std::swap(v, exact);
    detail::Frame::keepSpare(spares, exact, sizeof(typename V::value_type));
}

void compact(Column& column, detail::Frame& frame) {
    for (auto& [name, member] : column.members()) compact(member, frame);
    compactVector(column.bytes(), frame.spare_values);
    for (std::size_t level = 0; level < column.levels(); ++level)
        compactVector(column.offsets(level), frame.spare_offsets);
}

}  // namespace

const ColumnType* Schema::find(std::string_view name) const {
    for (const auto& [column_name, type] : columns)
        if (column_name == name) return &type;
    return nullptr;
}

CompiledExpression::CompiledExpression(std::unique_ptr<Program> program)
    : program_(std::move(program)) {}
CompiledExpression::~CompiledExpression() = default;
CompiledExpression::CompiledExpression(CompiledExpression&&) noexcept = default;
CompiledExpression& CompiledExpression::operator=(CompiledExpression&&) noexcept = default;

const std::string& CompiledExpression::text() const {
    return program_->text;
}
ResultType CompiledExpression::type() const {
    return program_->type;
}
const std::vector<std::string>& CompiledExpression::inputs() const {
    return program_->inputs;
}

namespace {

// Spare buffers kept per thread between evaluate() calls (see detail::Frame), so that a worker
// evaluating batch after batch reuses memory that is already mapped.
struct SpareBuffers {
    std::vector<Bytes> values;
    std::vector<Offsets> offsets;
};
thread_local SpareBuffers t_spares;

}  // namespace

Column CompiledExpression::evaluate(const ColumnBatch& batch) const {
    detail::Frame frame;
    frame.spare_values = std::move(t_spares.values);
    frame.spare_offsets = std::move(t_spares.offsets);
    t_spares = {};
    frame.batch = &batch;
    frame.text = &program_->text;
    frame.registers.resize(static_cast<std::size_t>(program_->num_registers));
    for (const auto& instruction : program_->instructions) {
        frame.dying = &instruction.release_after;
        instruction.run(frame);
        for (int reg : instruction.release_after) frame.release(reg);
    }
    frame.dying = nullptr;
    auto& result = frame.registers[static_cast<std::size_t>(program_->result_register)];
    Column out;
    if (result.borrowed != nullptr)
        out = normalized(*result.borrowed);
    else
        out = normalizedOwned(std::move(result.owned));
    compact(out, frame);
    // Whatever is left (registers of an exception-free run are released) goes back to the
    // thread's spares.
    for (std::size_t r = 0; r < frame.registers.size(); ++r)
        if (static_cast<int>(r) != program_->result_register) frame.release(static_cast<int>(r));
    t_spares.values = std::move(frame.spare_values);
    t_spares.offsets = std::move(frame.spare_offsets);
    return out;
}

CompiledExpression compile(std::string_view text, const Schema& schema) {
    auto program = std::make_unique<CompiledExpression::Program>();
    static_cast<detail::ProgramData&>(*program) = std::move(*detail::compileProgram(text, schema));
    return CompiledExpression(std::move(program));
}

}  // namespace hepflow::frame::expr
