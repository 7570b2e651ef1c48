// Computations: construction, binding to a schema (compile or check inputs, learn the result
// type on an empty batch) and checked evaluation.
#include "frame/engine/computation.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/error.h"
#include "frame/engine/detail/expression_binding.h"
#include "frame/engine/detail/names.h"

namespace hepflow::frame::engine {
namespace {

std::string describe(const Column& column) {
    if (column.dtype() == DType::Struct) return "collection";
    const std::size_t jagged =
        column.dtype() == DType::String ? column.levels() - 1 : column.levels();
    std::string text(dtypeName(column.dtype()));
    for (std::size_t i = 0; i < jagged; ++i) text += "[]";
    return text;
}

bool sameShape(const Column& a, const Column& b) {
    if (a.dtype() != b.dtype() || a.levels() != b.levels()) return false;
    if (a.dtype() != DType::Struct) return true;
    if (a.members().size() != b.members().size()) return false;
    for (std::size_t i = 0; i < a.members().size(); ++i)
        if (a.members()[i].first != b.members()[i].first ||
            !sameShape(a.members()[i].second, b.members()[i].second))
            return false;
    return true;
}

}  // namespace

Computation::Computation(std::string text) : text_(std::move(text)) {}
Computation::Computation(const char* text) : text_(text) {}

Computation Computation::function(std::string label, std::vector<std::string> inputs,
                                  ColumnFunction function) {
    HEPFLOW_ASSERT(function != nullptr, "a function computation needs a function");
    Computation computation;
    computation.text_ = std::move(label);
    computation.inputs_ = std::move(inputs);
    computation.function_ = std::move(function);
    return computation;
}

ColumnBatch emptyBatch(const std::vector<std::string>& names, const expr::Schema& schema) {
    ColumnBatch batch;
    for (const auto& name : names) {
        const auto* type = schema.find(name);
        HEPFLOW_ASSERT(type != nullptr, "emptyBatch of a column outside the schema");
        const std::size_t jagged = type->dtype == DType::String ? type->levels - 1 : type->levels;
        Column column(type->dtype, jagged);
        batch.columns.emplace_back(name, std::move(column));
    }
    return batch;
}

BoundComputation BoundComputation::bind(const Computation& computation,
                                        const expr::Schema& schema) {
    BoundComputation bound;
    bound.text_ = computation.text();
    std::optional<expr::ResultType> declared;
    if (computation.isExpression()) {
        auto compiled = detail::compileText(computation.text(), schema);
        bound.inputs_ = std::move(compiled.inputs);
        bound.function_ = std::move(compiled.evaluate);
        declared = compiled.type;
    } else {
        std::vector<std::string> known;
        for (const auto& [name, type] : schema.columns) known.push_back(name);
        for (const auto& input : computation.functionInputs())
            if (schema.find(input) == nullptr)
                throw UsageError(fmt::format("{}: unknown column '{}'{}", computation.text(), input,
                                             detail::didYouMean(input, known)));
        bound.inputs_ = computation.functionInputs();
        bound.function_ = computation.function();
    }
    std::sort(bound.inputs_.begin(), bound.inputs_.end());
    bound.inputs_.erase(std::unique(bound.inputs_.begin(), bound.inputs_.end()),
                        bound.inputs_.end());
    bound.prototype_ = bound.function_(emptyBatch(bound.inputs_, schema));
    if (declared && declared->shape != expr::ResultShape::Collection &&
        bound.prototype_.dtype() != declared->dtype)
        throw InternalError(fmt::format("'{}': declared {} but evaluates to {}", bound.text_,
                                        dtypeName(declared->dtype), describe(bound.prototype_)));
    return bound;
}

Column BoundComputation::evaluate(const ColumnBatch& batch) const {
    Column result = function_(batch);
    if (result.length() != batch.num_entries)
        throw UsageError(fmt::format("'{}' gave {} rows for a batch of {} entries", text_,
                                     result.length(), batch.num_entries));
    if (!sameShape(result, prototype_))
        throw UsageError(fmt::format("'{}' gave a {} column where {} was expected", text_,
                                     describe(result), describe(prototype_)));
    return result;
}

}  // namespace hepflow::frame::engine
