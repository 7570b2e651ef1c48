// The expression compiler's core: lowers the parsed program through detail/lowering.h's
// Compiler and assembles the register program (dead-code elimination, last readers, inputs).
// Also the emission primitives every lowering step uses: column loads, casts, broadcasts.
// Identical subexpressions are computed once (keyed by their structure).
#include "frame/expr/detail/compiler.h"

#include <fmt/format.h>

#include "frame/expr/detail/diagnostics.h"
#include "frame/expr/detail/lowering.h"

namespace hepflow::frame::expr::detail {

Val Compiler::loadColumn(const std::string& name) {
    const std::string key = "col:" + name;
    if (const Val* v = memo(key)) return *v;
    const ColumnType* type = findColumn(name);
    HEPFLOW_ASSERT(type != nullptr, "loading a column not in the schema");
    Val v;
    v.shape = type->levels == 0 ? Shape::Event : Shape::Object;
    switch (type->dtype) {
        case DType::Bool: v.ty = Ty::Bool; break;
        case DType::Float32: v.ty = Ty::Float; break;
        case DType::Float64: v.ty = Ty::Double; break;
        default: v.ty = Ty::Int; break;
    }
    v.reg = newRegister();
    v.key = key;
    if (v.shape == Shape::Object) {
        auto it = collections_.column_collection.find(name);
        v.coll = it != collections_.column_collection.end() ? it->second : name;
        v.root = v.coll;
    }
    loaded_.insert(name);
    const ColumnType expected = *type;
    const int reg = v.reg;
    auto is_result = std::make_shared<bool>(false);
    result_loads_[reg] = is_result;
    emit({}, {reg}, [name, expected, reg, is_result](Frame& frame) {
        const Column* column = frame.batch->find(name);
        if (column == nullptr)
            throw UsageError(
                fmt::format("expression '{}': column '{}' is not in the batch", *frame.text, name));
        if (column->dtype() != expected.dtype || column->levels() != expected.levels)
            throw UsageError(fmt::format(
                "expression '{}': column '{}' is {} with {} levels in the batch but {} with {} "
                "in the schema",
                *frame.text, name, dtypeName(column->dtype()), column->levels(),
                dtypeName(expected.dtype), expected.levels));
        if (column->length() != frame.batch->num_entries)
            throw UsageError(
                fmt::format("expression '{}': column '{}' has {} entries in a batch "
                            "of {}",
                            *frame.text, name, column->length(), frame.batch->num_entries));
        const DType t = column->dtype();
        const bool borrowable = t == DType::Int64 || t == DType::Float32 || t == DType::Float64;
        // A jagged column that is the whole result is copied out by evaluate() anyway: copied
        // here, its offsets are checked in the same pass that copies them.
        const bool copy_out = *is_result && expected.levels == 1 && borrowable;
        Column copy;
        if (expected.levels == 1) {
            const auto& offsets = column->offsets(0);
            if (offsets.empty())
                throw UsageError(
                    fmt::format("expression '{}': column '{}' has no offsets", *frame.text, name));
            bool ordered = false;
            if (copy_out) {
                copy = Column(t, 1);
                copy.offsets(0).resize(offsets.size());
                ordered = kernels::copyRebasedIfOrdered(offsets, copy.offsets(0).data());
            } else {
                ordered = kernels::offsetsAreOrdered(offsets);
            }
            // The entry is looked for only when the fast check fails.
            const bool bad = !ordered;
            for (std::size_t i = 1; bad && i < offsets.size(); ++i)
                if (offsets[i] < offsets[i - 1] || offsets.front() < 0)
                    throw UsageError(
                        fmt::format("expression '{}': column '{}' has decreasing "
                                    "offsets at entry {}",
                                    *frame.text, name,
                                    frame.batch->first_entry + static_cast<std::int64_t>(i - 1)));
            if (static_cast<std::size_t>(offsets.back()) > column->numValues())
                throw UsageError(
                    fmt::format("expression '{}': column '{}' has offsets past its "
                                "{} values",
                                *frame.text, name, column->numValues()));
        }
        if (copy_out) {
            const auto& offsets = column->offsets(0);
            const std::size_t size = dtypeSize(t);
            const auto first = static_cast<std::size_t>(offsets.front());
            copy.bytes() = copyOfRange(column->bytes().data() + first * size,
                                       (static_cast<std::size_t>(offsets.back()) - first) * size);
            frame.set(reg, std::move(copy));
            return;
        }
        if (borrowable) {
            frame.registers[static_cast<std::size_t>(reg)].borrowed = column;
            return;
        }
        if (t == DType::Bool) {
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(column->bytes().data());
            bool clean = true;
            for (std::size_t i = 0; i < column->bytes().size(); ++i) clean &= bytes[i] <= 1;
            if (clean) {
                frame.registers[static_cast<std::size_t>(reg)].borrowed = column;
                return;
            }
        }
        frame.set(reg, convertInput(*column, expected.levels));
    });
    return remember(v);
}

Val Compiler::cast(const Val& v, Ty to) {
    if (v.ty == to) return v;
    if (v.shape == Shape::Const) {
        Val c = withType(to, [&]<class T>() { return makeConst<T>(constAs<T>(v)); });
        return c;
    }
    Val out = v;
    out.ty = to;
    out.key = fmt::format("cast<{}>({})", tyName(to), v.key);
    if (reuse(out)) return out;
    const int in_reg = v.reg;
    const int out_reg = out.reg;
    const bool jagged = v.shape == Shape::Object;
    withType(v.ty, [&]<class From>() {
        withType(to, [&]<class To>() {
            emit({in_reg}, {out_reg}, [in_reg, out_reg, jagged](Frame& frame) {
                const Column& in = frame.in(in_reg);
                const std::size_t n = activeCount(in);
                Column out = newLike<To>(frame, in, jagged, n);
                castValues(in.values<From>().data() + firstOffset(in), out.values<To>().data(), n);
                frame.set(out_reg, std::move(out));
            });
        });
    });
    return remember(out);
}

// A per-event value (or constant) repeated over the objects of `shape` (a per-object value).
Val Compiler::broadcastTo(const Val& v, const Val& shape) {
    HEPFLOW_ASSERT(shape.shape == Shape::Object, "broadcast needs a per-object shape");
    const Val event = materializeEvent(v);
    Val out = event;
    out.shape = Shape::Object;
    out.coll = shape.coll;
    out.root = shape.root;
    out.combo = shape.combo;
    out.key = fmt::format("bcast({}|{})", event.key, shape.coll);
    if (reuse(out)) return out;
    const int in_reg = event.reg;
    const int shape_reg = shape.reg;
    const int out_reg = out.reg;
    emit({in_reg, shape_reg}, {out_reg}, [in_reg, shape_reg, out_reg](Frame& frame) {
        frame.set(out_reg, kernels::broadcast(frame.in(in_reg), frame.in(shape_reg).offsets(0)));
    });
    return remember(out);
}

// A constant as a flat column of one value per entry (per-event values pass through).
Val Compiler::materializeEvent(const Val& v) {
    if (v.shape != Shape::Const) return v;
    Val out = v;
    out.shape = Shape::Event;
    out.weak = false;
    out.key = "fill(" + constKey(v) + ")";
    if (reuse(out)) return out;
    const int out_reg = out.reg;
    withType(v.ty, [&]<class T>() {
        const T value = constAs<T>(v);
        emit({}, {out_reg}, [value, out_reg](Frame& frame) {
            const auto n = static_cast<std::size_t>(frame.batch->num_entries);
            Column out(dtypeOf<T>());
            out.bytes().resize(n * sizeof(T));
            std::fill_n(out.values<T>().data(), n, value);
            frame.set(out_reg, std::move(out));
        });
    });
    return remember(out);
}

void Compiler::requireSameCollection(const Val& a, const Val& b, int pos, std::string_view verb,
                                     bool* proven) {
    *proven = a.coll == b.coll;
    if (*proven) return;
    if (a.combo != b.combo) {
        const Val& other = a.combo ? b : a;
        fail(pos, fmt::format("a pairs()/triplets() body may use per-event values and the fields "
                              "of its objects, not per-object values of '{}'",
                              other.root));
    }
    if (a.root != b.root)
        fail(pos, fmt::format("cannot {} per-object values of '{}' and '{}' (different "
                              "collections)",
                              verb, a.root, b.root));
}

std::unique_ptr<ProgramData> Compiler::compile() {
    ParsedProgram parsed = parse(text_);
    for (auto& let : parsed.lets) {
        Term value = lowerTerm(*let.value);
        if (value.kind == Term::Kind::Param)
            fail(let.value->pos, "a 'let' cannot bind an object of pairs()/triplets()");
        lets_[let.name] = value;
    }
    Term result = lowerTerm(*parsed.result);
    auto program = std::make_unique<ProgramData>();
    program->text = text_;
    if (result.kind == Term::Kind::Param)
        fail(parsed.result->pos, "the result cannot be an object of pairs()/triplets()");
    if (result.kind == Term::Kind::Collection) {
        program->type = {ResultShape::Collection, DType::Struct};
        program->result_register = collectionResult(result.coll).reg;
    } else {
        Val v = result.value;
        if (v.shape == Shape::Const) v = materializeEvent(v);
        program->type = {v.shape == Shape::Object ? ResultShape::PerObject : ResultShape::PerEvent,
                         dtypeOfTy(v.ty)};
        program->result_register = v.reg;
    }
    if (const auto load = result_loads_.find(program->result_register); load != result_loads_.end())
        *load->second = true;

    // Dead-code elimination (unused lets, fields) and the last reader of each register, so that
    // evaluate() frees intermediates as soon as they are consumed.
    std::vector<bool> live(static_cast<std::size_t>(num_registers_), false);
    live[static_cast<std::size_t>(program->result_register)] = true;
    std::vector<bool> keep(instructions_.size(), false);
    for (std::size_t i = instructions_.size(); i-- > 0;) {
        const auto& ins = instructions_[i];
        bool needed = false;
        for (int r : ins.outputs) needed = needed || live[static_cast<std::size_t>(r)];
        if (!needed) continue;
        keep[i] = true;
        for (int r : ins.inputs) live[static_cast<std::size_t>(r)] = true;
    }
    std::vector<bool> seen(static_cast<std::size_t>(num_registers_), false);
    seen[static_cast<std::size_t>(program->result_register)] = true;
    for (std::size_t i = instructions_.size(); i-- > 0;) {
        if (!keep[i]) continue;
        auto& ins = instructions_[i];
        for (int r : ins.inputs) {
            if (!seen[static_cast<std::size_t>(r)]) {
                seen[static_cast<std::size_t>(r)] = true;
                ins.release_after.push_back(r);
            }
        }
        // Outputs nobody reads (the unused members of a combination) go at once.
        for (int r : ins.outputs)
            if (!seen[static_cast<std::size_t>(r)]) {
                seen[static_cast<std::size_t>(r)] = true;
                ins.release_after.push_back(r);
            }
    }
    std::set<std::string> inputs;
    for (std::size_t i = 0; i < instructions_.size(); ++i) {
        if (keep[i]) program->instructions.push_back(std::move(instructions_[i]));
    }
    // Inputs: the columns whose load survived.
    for (const auto& name : loaded_) {
        const Val& v = memo_.at("col:" + name);
        if (live[static_cast<std::size_t>(v.reg)]) inputs.insert(name);
    }
    program->inputs.assign(inputs.begin(), inputs.end());
    program->num_registers = num_registers_;
    return program;
}

std::string Compiler::intern(std::string key) {
    constexpr std::size_t kMaxKey = 96;
    if (key.size() <= kMaxKey) return key;
    auto [it, inserted] = aliases_.try_emplace(std::move(key));
    if (inserted) it->second = fmt::format("%{}", aliases_.size());
    return it->second;
}

std::string Compiler::displayName(std::string name) {
    constexpr std::size_t kMaxName = 120;
    if (name.size() > kMaxName) name = name.substr(0, kMaxName - 3) + "...";
    return name;
}

std::unique_ptr<ProgramData> compileProgram(std::string_view text, const Schema& schema) {
    return Compiler(text, schema).compile();
}

}  // namespace hepflow::frame::expr::detail
