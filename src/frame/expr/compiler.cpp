// The expression compiler: resolves names against the schema (columns and the collections
// inferred from them), checks shapes and types, and lowers the syntax tree once into a flat
// program of column kernels (detail/program.h). Identical subexpressions are computed once
// (keyed by their structure), and a collection field is only loaded or masked when used.
#include "frame/expr/detail/compiler.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <map>
#include <numbers>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "common/error.h"
#include "frame/expr/detail/ast.h"
#include "frame/expr/detail/elementwise.h"
#include "frame/expr/detail/program.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::expr::detail {
namespace {

// ---- types and shapes ----------------------------------------------------------------------

enum class Ty { Bool, Int, Float, Double };
enum class Shape { Const, Event, Object };

DType dtypeOfTy(Ty ty) {
    switch (ty) {
        case Ty::Bool: return DType::Bool;
        case Ty::Int: return DType::Int64;
        case Ty::Float: return DType::Float32;
        case Ty::Double: return DType::Float64;
    }
    return DType::Float64;
}

std::string_view tyName(Ty ty) {
    switch (ty) {
        case Ty::Bool: return "bool";
        case Ty::Int: return "int";
        case Ty::Float: return "float";
        case Ty::Double: return "double";
    }
    return "?";
}

template <class T>
constexpr Ty tyOf() {
    if constexpr (std::is_same_v<T, bool>)
        return Ty::Bool;
    else if constexpr (std::is_same_v<T, std::int64_t>)
        return Ty::Int;
    else if constexpr (std::is_same_v<T, float>)
        return Ty::Float;
    else
        return Ty::Double;
}

// Calls fn.template operator()<T>() with the C++ type of `ty`.
template <class Fn>
decltype(auto) withType(Ty ty, Fn&& fn) {
    switch (ty) {
        case Ty::Bool: return fn.template operator()<bool>();
        case Ty::Int: return fn.template operator()<std::int64_t>();
        case Ty::Float: return fn.template operator()<float>();
        case Ty::Double: break;
    }
    return fn.template operator()<double>();
}

// A compile-time value: a constant, or a register holding a per-event or per-object column.
struct Val {
    Shape shape = Shape::Const;
    Ty ty = Ty::Double;
    // Const: the value (ints and bools in i, floats in d). `weak`: a float literal, which
    // takes the type of a float operand (docs/expressions.md).
    std::int64_t i = 0;
    double d = 0;
    bool weak = false;
    // Event / Object
    int reg = -1;
    std::string key;  // structural key: equal keys are equal values
    // Object: `coll` identifies the counts per event (equal keys: proven equal counts);
    // `root` names the collection for messages; `combo`: the objects of a pairs()/triplets().
    std::string coll;
    std::string root;
    bool combo = false;
};

template <class T>
T constAs(const Val& v) {
    if (v.ty == Ty::Float || v.ty == Ty::Double) return static_cast<T>(v.d);
    if constexpr (std::is_same_v<T, bool>)
        return v.i != 0;
    else
        return static_cast<T>(v.i);
}

template <class T>
Val makeConst(T value, bool weak = false) {
    Val v;
    v.shape = Shape::Const;
    v.ty = tyOf<T>();
    if constexpr (std::is_floating_point_v<T>)
        v.d = static_cast<double>(value);
    else
        v.i = static_cast<std::int64_t>(value);
    v.weak = weak && v.ty == Ty::Double;
    return v;
}

std::string constKey(const Val& v) {
    if (v.ty == Ty::Float || v.ty == Ty::Double) return fmt::format("{}:{}", tyName(v.ty), v.d);
    return fmt::format("{}:{}", tyName(v.ty), v.i);
}
std::string keyOf(const Val& v) {
    return v.shape == Shape::Const ? constKey(v) : v.key;
}

int rankOf(Ty ty) {
    return static_cast<int>(ty);
}

// The common type of operands, with the weak-literal rule: a float literal is `float` beside a
// float operand and `double` otherwise.
Ty promote(const std::vector<const Val*>& values, bool bool_to_int) {
    int strong = -1;
    bool weak = false;
    for (const Val* v : values) {
        if (v->weak)
            weak = true;
        else
            strong = std::max(strong, rankOf(v->ty));
    }
    Ty result;
    if (strong < 0)
        result = Ty::Double;
    else if (weak && strong < rankOf(Ty::Float))
        result = Ty::Double;
    else
        result = static_cast<Ty>(strong);
    if (bool_to_int && result == Ty::Bool) result = Ty::Int;
    return result;
}

// ---- collections ---------------------------------------------------------------------------

struct Coll {
    enum class Kind { Base, Masked, Concat };
    Kind kind = Kind::Base;
    std::string key;   // counts identity, as Val::coll
    std::string root;  // display name
    // Field names (data fields, then "source" for a concat, then "index").
    std::vector<std::string> fields;
    std::vector<std::string> columns;  // Base: the column of each data field
    std::shared_ptr<Coll> parent;      // Masked, Concat (first)
    std::shared_ptr<Coll> second;      // Concat
    Val mask;                          // Masked
};
using CollPtr = std::shared_ptr<Coll>;

struct Combo {
    std::string key;
    std::string root;
    std::vector<CollPtr> colls;  // collection of each member
    std::vector<int> regs;       // jagged Int64 local positions of each member
};
using ComboPtr = std::shared_ptr<Combo>;

struct ParamRef {
    ComboPtr combo;
    std::size_t member = 0;
    std::string name;
};

struct Term {
    enum class Kind { Value, Collection, Param };
    Kind kind = Kind::Value;
    Val value;
    CollPtr coll;
    ParamRef param;
};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view name, const std::vector<std::string>& candidates) {
    std::size_t best = std::string::npos;
    const std::string* best_name = nullptr;
    for (const auto& candidate : candidates) {
        const std::size_t d = editDistance(lower(name), lower(candidate));
        if (d < best) {
            best = d;
            best_name = &candidate;
        }
    }
    const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
    if (best_name == nullptr || best > limit) return "";
    return fmt::format(" \u2014 did you mean '{}'?", *best_name);
}

[[noreturn]] void fail(int pos, const std::string& what) {
    throw UsageError(fmt::format("col {}: {}", pos, what));
}

bool usableColumn(const ColumnType& type) {
    return type.levels <= 1 && type.dtype != DType::String && type.dtype != DType::Struct;
}

// ---- run-time helpers ------------------------------------------------------------------------

std::int64_t firstOffset(const Column& c) {
    return c.levels() > 0 ? c.offsets(0).front() : 0;
}

std::size_t activeCount(const Column& c) {
    if (c.levels() > 0) return static_cast<std::size_t>(c.offsets(0).back() - c.offsets(0).front());
    return c.numValues();
}

Offsets rebased(Frame& frame, const Offsets& offsets) {
    Offsets out = frame.takeOffsets(offsets.size());
    const std::int64_t base = offsets.front();
    for (std::size_t i = 0; i < offsets.size(); ++i) out[i] = offsets[i] - base;
    return out;
}
void checkSameCounts(const Frame& frame, const Column& a, const Column& b, std::string_view a_name,
                     std::string_view b_name) {
    const auto& oa = a.offsets(0);
    const auto& ob = b.offsets(0);
    if (oa.size() != ob.size())
        throw UsageError(
            fmt::format("expression '{}': per-object values of '{}' and '{}' cover "
                        "different numbers of entries ({} vs {})",
                        *frame.text, a_name, b_name, oa.size() - 1, ob.size() - 1));
    const std::int64_t da = oa.front();
    const std::int64_t db = ob.front();
    for (std::size_t i = 1; i < oa.size(); ++i) {
        if (oa[i] - da != ob[i] - db) {
            // Find the first entry whose counts differ, for the message.
            std::size_t e = 0;
            while (e + 1 < oa.size() && oa[e + 1] - oa[e] == ob[e + 1] - ob[e]) ++e;
            throw UsageError(fmt::format(
                "expression '{}': per-object values of '{}' and '{}' have different numbers of "
                "objects in entry {} ({} vs {})",
                *frame.text, a_name, b_name,
                frame.batch->first_entry + static_cast<std::int64_t>(e), oa[e + 1] - oa[e],
                ob[e + 1] - ob[e]));
        }
    }
}

// Throws unless `column` holds `n` values past its first offset (a malformed batch whose
// columns of one collection disagree).
void requireValues(const Frame& frame, const Column& column, std::size_t n, std::string_view what) {
    const std::size_t first = static_cast<std::size_t>(firstOffset(column));
    if (column.numValues() < first + n || (column.levels() > 0 && activeCount(column) != n))
        throw UsageError(
            fmt::format("expression '{}': per-object columns of '{}' have different "
                        "numbers of objects ({} vs {})",
                        *frame.text, what, activeCount(column), n));
}

template <class From, class To>
void castValues(const From* in, To* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<To, bool>)
            out[i] = in[i] != From{};
        else
            out[i] = static_cast<To>(in[i]);
    }
}

// A column of the same shape as `like` with `n` values of type T left to be written.
template <class T>
Column newLike(Frame& frame, const Column& like, bool jagged, std::size_t n) {
    Column out(dtypeOf<T>(), jagged ? 1 : 0);
    if (jagged) out.offsets(0) = rebased(frame, like.offsets(0));
    out.bytes() = frame.takeValues(n * sizeof(T));
    return out;
}
// Loads an input column: checks it against the schema and converts integers to Int64 (and
// Bool bytes to 0/1) once, so every later kernel sees one of four value types.
Column convertInput(const Column& in, std::size_t levels) {
    const std::size_t n = in.numValues();
    Column out(in.dtype() == DType::Bool ? DType::Bool : DType::Int64, levels);
    if (levels > 0) out.offsets(0) = in.offsets(0);
    auto convert = [&]<class From>() {
        Column& o = out;
        if constexpr (std::is_same_v<From, bool>) {
            o.bytes().resize(n);
            const auto* src = reinterpret_cast<const std::uint8_t*>(in.bytes().data());
            auto* dst = reinterpret_cast<std::uint8_t*>(o.bytes().data());
            for (std::size_t i = 0; i < n; ++i) dst[i] = src[i] != 0 ? 1 : 0;
        } else {
            o.bytes().resize(n * sizeof(std::int64_t));
            std::vector<From> tmp(n);
            if (n > 0) std::memcpy(tmp.data(), in.bytes().data(), n * sizeof(From));
            auto* dst = o.values<std::int64_t>().data();
            for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<std::int64_t>(tmp[i]);
        }
    };
    switch (in.dtype()) {
        case DType::Bool: convert.operator()<bool>(); break;
        case DType::Int8: convert.operator()<std::int8_t>(); break;
        case DType::UInt8: convert.operator()<std::uint8_t>(); break;
        case DType::Int16: convert.operator()<std::int16_t>(); break;
        case DType::UInt16: convert.operator()<std::uint16_t>(); break;
        case DType::Int32: convert.operator()<std::int32_t>(); break;
        case DType::UInt32: convert.operator()<std::uint32_t>(); break;
        case DType::UInt64: convert.operator()<std::uint64_t>(); break;
        default: HEPFLOW_ASSERT(false, "convertInput of a non-integer column");
    }
    return out;
}

// `part` of a four-vector sum, with the conventions of kernels::sumObjects (eta 0 at pt 0).
double fourVectorPart(kernels::FourVectorPart part, double x, double y, double z, double e) {
    switch (part) {
        case kernels::FourVectorPart::Mass:
            return std::sqrt(std::max(e * e - (x * x + y * y + z * z), 0.0));
        case kernels::FourVectorPart::Pt: return std::hypot(x, y);
        case kernels::FourVectorPart::Eta: {
            const double pt = std::hypot(x, y);
            return pt == 0.0 ? 0.0 : std::asinh(z / pt);
        }
        case kernels::FourVectorPart::Phi: return std::atan2(y, x);
    }
    return 0.0;
}

// ---- the compiler --------------------------------------------------------------------------

class Compiler {
public:
    Compiler(std::string_view text, const Schema& schema) : text_(text), schema_(schema) {
        inferCollections();
    }

    std::unique_ptr<ProgramData> compile();

private:
    // -- schema ------------------------------------------------------------------------------
    void inferCollections();
    const ColumnType* findColumn(std::string_view name) const { return schema_.find(name); }

    // -- emission ----------------------------------------------------------------------------
    int newRegister() { return num_registers_++; }
    void emit(std::vector<int> inputs, std::vector<int> outputs, std::function<void(Frame&)> run) {
        instructions_.push_back({std::move(inputs), std::move(outputs), std::move(run), {}});
    }
    const Val* memo(const std::string& key) const {
        auto it = memo_.find(key);
        return it == memo_.end() ? nullptr : &it->second;
    }
    Val remember(Val v) {
        memo_[v.key] = v;
        return v;
    }
    Val loadColumn(const std::string& name);
    Val cast(const Val& v, Ty to);
    Val broadcastTo(const Val& v, const Val& shape);
    Val materializeEvent(const Val& v);

    template <class Out, class... Ins, class F>
    Val map(const std::string& op, F f, std::vector<Val> args, int pos);

    // -- lowering ----------------------------------------------------------------------------
    Term lowerTerm(const Node& node);
    Val lowerValue(const Node& node);
    CollPtr lowerCollection(const Node& node, std::string_view what);
    Term resolveName(const std::string& name, int pos);
    Term lowerMember(const Node& node);
    Val lowerUnary(const Node& node);
    Val lowerBinary(const Node& node);
    Val lowerTernary(const Node& node);
    Term lowerIndex(const Node& node);
    Term lowerCall(const Node& node);
    Val lowerMath(const Node& node, const std::string& name, std::vector<Val> args);
    Val lowerReduction(const Node& node, const std::string& name, const Val& arg);
    Val lowerCombinations(const Node& node, const std::string& name);
    Val lowerFourVector(const Node& node, const std::string& name);

    Val arith(const std::string& op, Val a, Val b, int pos);
    Val compare(const std::string& op, Val a, Val b, int pos);
    Val logic(const std::string& op, Val a, Val b, int pos);
    Val minMax(bool is_max, std::vector<Val> args, int pos);
    Val maskValue(const Val& x, const Val& mask, int pos);
    Val takeValue(const Val& x, const Val& index, int pos);
    Val gatherValue(const Val& x, const Val& indices, int pos);
    Val reduceValue(kernels::Reduction op, const Val& x, Ty out);
    void requireSameCollection(const Val& a, const Val& b, int pos, std::string_view verb,
                               bool* proven);

    // -- collections -------------------------------------------------------------------------
    CollPtr baseCollection(const std::string& name);
    std::optional<std::string> findField(const Coll& coll, std::string_view field) const;
    std::optional<std::string> fourVectorField(const Coll& coll, std::string_view part) const;
    Val field(const CollPtr& coll, const std::string& name);
    Val offsetsOf(const CollPtr& coll);
    Val paramField(const ParamRef& param, const std::string& name, int pos);
    Val positionsOf(const ParamRef& param);
    std::array<Val, 4> cartesianOf(const CollPtr& coll, int pos);
    CollPtr maskCollection(const CollPtr& coll, const Val& mask, int pos);
    CollPtr concatCollections(const CollPtr& a, const CollPtr& b);
    ComboPtr combination(const std::string& kind, std::vector<CollPtr> colls);
    Val collectionResult(const CollPtr& coll);

    std::string text_;
    const Schema& schema_;
    // Collections inferred from the schema: name -> (field, column) in schema order.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> collections_;
    std::unordered_map<std::string, std::string> column_collection_;
    std::map<std::string, CollPtr> base_colls_;

    std::vector<Instruction> instructions_;
    int num_registers_ = 0;
    std::unordered_map<std::string, Val> memo_;
    std::unordered_map<std::string, ComboPtr> combos_;
    std::map<std::string, Term> lets_;
    std::vector<std::map<std::string, ParamRef>> scopes_;
    std::set<std::string> loaded_;
};

// NanoAOD: jagged `X_field` (normally beside a flat `nX`); Delphes: jagged `X.field`.
void Compiler::inferCollections() {
    for (const auto& [name, type] : schema_.columns) {
        if (type.levels != 1 || !usableColumn(type)) continue;
        const std::size_t dot = name.find('.');
        const std::size_t underscore = name.find('_');
        const std::size_t cut = std::min(dot, underscore);
        if (cut == std::string::npos || cut == 0 || cut + 1 >= name.size()) continue;
        const std::string coll = name.substr(0, cut);
        const std::string field = name.substr(cut + 1);
        auto& fields = collections_[coll];
        bool duplicate = false;
        for (const auto& f : fields) duplicate = duplicate || f.first == field;
        if (duplicate) continue;
        fields.emplace_back(field, name);
        column_collection_[name] = coll;
    }
}

CollPtr Compiler::baseCollection(const std::string& name) {
    auto it = base_colls_.find(name);
    if (it != base_colls_.end()) return it->second;
    auto coll = std::make_shared<Coll>();
    coll->kind = Coll::Kind::Base;
    coll->key = name;
    coll->root = name;
    for (const auto& [f, column] : collections_.at(name)) {
        coll->fields.push_back(f);
        coll->columns.push_back(column);
    }
    coll->fields.push_back("index");
    base_colls_[name] = coll;
    return coll;
}

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
        auto it = column_collection_.find(name);
        v.coll = it != column_collection_.end() ? it->second : name;
        v.root = v.coll;
    }
    loaded_.insert(name);
    const ColumnType expected = *type;
    const int reg = v.reg;
    emit({}, {reg}, [name, expected, reg](Frame& frame) {
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
        if (expected.levels == 1) {
            const auto& offsets = column->offsets(0);
            for (std::size_t i = 1; i < offsets.size(); ++i)
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
        const DType t = column->dtype();
        if (t == DType::Int64 || t == DType::Float32 || t == DType::Float64) {
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
    if (const Val* m = memo(out.key)) return *m;
    out.reg = newRegister();
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
    if (const Val* m = memo(out.key)) return *m;
    out.reg = newRegister();
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
    if (const Val* m = memo(out.key)) return *m;
    out.reg = newRegister();
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

// An elementwise operation over values already cast to Ins...; broadcasts per-event values over
// objects and folds constants.
template <class Out, class... Ins, class F>
Val Compiler::map(const std::string& op, F f, std::vector<Val> args, int pos) {
    constexpr std::size_t kN = sizeof...(Ins);
    HEPFLOW_ASSERT(args.size() == kN, "elementwise arity");
    using Types = std::tuple<Ins...>;
    bool all_const = true;
    bool any_weak = false;
    const Val* object = nullptr;
    for (const auto& a : args) {
        all_const = all_const && a.shape == Shape::Const;
        any_weak = any_weak || a.weak;
        if (a.shape == Shape::Object && object == nullptr) object = &a;
    }
    if (all_const) {
        Val result = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return makeConst<Out>(f(constAs<std::tuple_element_t<I, Types>>(args[I])...), any_weak);
        }
        (std::make_index_sequence<kN>());
        return result;
    }
    // Unproven equal counts are checked at run time, against the first per-object operand.
    std::vector<std::pair<int, std::string>> checks;
    if (object != nullptr) {
        const Val shape = *object;
        for (auto& a : args) {
            if (a.shape == Shape::Object) {
                bool proven = false;
                requireSameCollection(
                    shape, a, pos,
                    op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!="
                        ? "compare"
                        : "combine",
                    &proven);
                if (!proven) checks.emplace_back(a.reg, a.root);
            } else if (a.shape == Shape::Event) {
                a = broadcastTo(a, shape);
            }
        }
    }
    Val out;
    out.shape = object != nullptr ? Shape::Object : Shape::Event;
    out.ty = tyOf<Out>();
    if (object != nullptr) {
        out.coll = object->coll;
        out.root = object->root;
        out.combo = object->combo;
    }
    out.key = op + "(";
    for (const auto& a : args) out.key += keyOf(a) + ",";
    out.key += ")";
    if (const Val* m = memo(out.key)) return *m;
    out.reg = newRegister();

    std::array<int, kN> regs{};
    std::array<bool, kN> scalar{};
    Types constants{};
    std::vector<int> inputs;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((scalar[I] = args[I].shape == Shape::Const, regs[I] = args[I].reg,
          std::get<I>(constants) = scalar[I] ? constAs<std::tuple_element_t<I, Types>>(args[I])
                                             : std::tuple_element_t<I, Types>{}),
         ...);
    }
    (std::make_index_sequence<kN>());
    for (std::size_t k = 0; k < kN; ++k)
        if (!scalar[k]) inputs.push_back(regs[k]);
    const int shape_reg =
        object != nullptr
            ? args[static_cast<std::size_t>(
                       std::find_if(args.begin(), args.end(),
                                    [](const Val& a) { return a.shape == Shape::Object; }) -
                       args.begin())]
                  .reg
            : -1;
    const std::string shape_root = object != nullptr ? object->root : "";
    const int out_reg = out.reg;
    emit(inputs, {out_reg},
         [f, regs, scalar, constants, shape_reg, shape_root, checks, out_reg](Frame& frame) {
             std::size_t n = static_cast<std::size_t>(frame.batch->num_entries);
             const Column* shape = nullptr;
             if (shape_reg >= 0) {
                 shape = &frame.in(shape_reg);
                 for (const auto& [reg, root] : checks)
                     checkSameCounts(frame, *shape, frame.in(reg), shape_root, root);
                 n = activeCount(*shape);
                 // Proven-equal collections are trusted per event, but never read past an end.
                 for (std::size_t k = 0; k < kN; ++k)
                     if (!scalar[k]) requireValues(frame, frame.in(regs[k]), n, shape_root);
             }
             std::array<const void*, kN> data{};
             [&]<std::size_t... I>(std::index_sequence<I...>) {
                 ((data[I] = scalar[I] ? static_cast<const void*>(&std::get<I>(constants))
                                       : static_cast<const void*>(
                                             frame.in(regs[I])
                                                 .template values<std::tuple_element_t<I, Types>>()
                                                 .data() +
                                             firstOffset(frame.in(regs[I])))),
                  ...);
             }
             (std::make_index_sequence<kN>());
             // The offsets of an input read here for the last time are taken, not copied.
             int donor = -1;
             for (std::size_t k = 0; k < kN && shape != nullptr; ++k) {
                 if (scalar[k] || !frame.isDying(regs[k])) continue;
                 const Column& c = frame.in(regs[k]);
                 if (c.levels() == 1 && c.offsets(0).front() == 0 &&
                     c.offsets(0).size() == shape->offsets(0).size())
                     donor = regs[k];
             }
             Column out;
             if (donor >= 0) {
                 out = Column(dtypeOf<Out>(), 1);
                 out.bytes() = frame.takeValues(n * sizeof(Out));
             } else {
                 out = shape != nullptr ? newLike<Out>(frame, *shape, true, n)
                                        : newLike<Out>(frame, Column(), false, n);
             }
             elementwiseDispatch<Out, F, Types>(out.values<Out>().data(), n, f, data, scalar);
             if (donor >= 0) out.offsets(0) = std::move(frame.owned(donor).offsets(0));
             frame.set(out_reg, std::move(out));
         });
    return remember(out);
}

// ---- lowering ------------------------------------------------------------------------------

Val Compiler::lowerValue(const Node& node) {
    Term t = lowerTerm(node);
    if (t.kind == Term::Kind::Collection)
        fail(node.pos,
             fmt::format("'{}' is a collection, not a value: use one of its fields "
                         "('{}.{}') or count({})",
                         t.coll->root, t.coll->root,
                         t.coll->fields.empty() ? "index" : t.coll->fields.front(), t.coll->root));
    if (t.kind == Term::Kind::Param)
        fail(node.pos, fmt::format("'{}' is an object of pairs()/triplets(): use one of its "
                                   "fields ('{}.pt') or mass({}, ...)",
                                   t.param.name, t.param.name, t.param.name));
    return t.value;
}

CollPtr Compiler::lowerCollection(const Node& node, std::string_view what) {
    Term t = lowerTerm(node);
    if (t.kind != Term::Kind::Collection)
        fail(node.pos, fmt::format("{} needs a collection (such as 'Muon')", what));
    return t.coll;
}

Term Compiler::lowerTerm(const Node& node) {
    Term t;
    switch (node.kind) {
        case NodeKind::IntLiteral: t.value = makeConst<std::int64_t>(node.int_value); return t;
        case NodeKind::FloatLiteral: t.value = makeConst<double>(node.float_value, true); return t;
        case NodeKind::BoolLiteral: t.value = makeConst<bool>(node.int_value != 0); return t;
        case NodeKind::Name: return resolveName(node.text, node.pos);
        case NodeKind::Member: return lowerMember(node);
        case NodeKind::Unary: t.value = lowerUnary(node); return t;
        case NodeKind::Binary: t.value = lowerBinary(node); return t;
        case NodeKind::Ternary: t.value = lowerTernary(node); return t;
        case NodeKind::Index: return lowerIndex(node);
        case NodeKind::Call: return lowerCall(node);
        case NodeKind::Lambda:
            fail(node.pos,
                 "a lambda '(a, b) -> ...' may only be the last argument of pairs() or "
                 "triplets()");
    }
    fail(node.pos, "unexpected syntax");
}

Term Compiler::resolveName(const std::string& name, int pos) {
    Term t;
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
        auto it = scope->find(name);
        if (it != scope->end()) {
            t.kind = Term::Kind::Param;
            t.param = it->second;
            return t;
        }
    }
    if (auto it = lets_.find(name); it != lets_.end()) return it->second;
    const ColumnType* type = findColumn(name);
    if (type != nullptr && usableColumn(*type)) {
        t.value = loadColumn(name);
        return t;
    }
    if (collections_.count(name) != 0) {
        t.kind = Term::Kind::Collection;
        t.coll = baseCollection(name);
        return t;
    }
    if (type != nullptr) {
        if (type->dtype == DType::String || type->dtype == DType::Struct)
            fail(pos, fmt::format("column '{}' ({}) cannot be used in expressions", name,
                                  dtypeName(type->dtype)));
        fail(pos, fmt::format("column '{}' ({}, {} levels) cannot be used in expressions", name,
                              dtypeName(type->dtype), type->levels));
    }
    std::vector<std::string> candidates;
    for (const auto& [column, _] : schema_.columns) candidates.push_back(column);
    for (const auto& [coll, _] : collections_) candidates.push_back(coll);
    for (const auto& [let, _] : lets_) candidates.push_back(let);
    for (const auto& scope : scopes_)
        for (const auto& [param, _] : scope) candidates.push_back(param);
    fail(pos, fmt::format("unknown column '{}'{}", name, suggestion(name, candidates)));
}

Term Compiler::lowerMember(const Node& node) {
    const Node& base = *node.children[0];
    const std::string& name = node.text;
    if (base.kind == NodeKind::Name) {
        bool shadowed = lets_.count(base.text) != 0;
        for (const auto& scope : scopes_) shadowed = shadowed || scope.count(base.text) != 0;
        const std::string dotted = base.text + "." + name;
        const ColumnType* type = findColumn(dotted);
        if (!shadowed && type != nullptr && usableColumn(*type)) {
            Term t;
            t.value = loadColumn(dotted);
            return t;
        }
    }
    Term b = lowerTerm(base);
    Term t;
    if (b.kind == Term::Kind::Param) {
        t.value = paramField(b.param, name, node.op_pos);
        return t;
    }
    if (b.kind == Term::Kind::Collection) {
        const auto f = findField(*b.coll, name);
        if (!f)
            fail(node.op_pos, fmt::format("collection '{}' has no field '{}'{}", b.coll->root, name,
                                          suggestion(name, b.coll->fields)));
        t.value = field(b.coll, *f);
        return t;
    }
    fail(node.op_pos, fmt::format("'.{}' needs a collection or an object of pairs()/triplets() "
                                  "on its left",
                                  name));
}

std::optional<std::string> Compiler::findField(const Coll& coll, std::string_view name) const {
    for (const auto& f : coll.fields)
        if (f == name) return f;
    std::optional<std::string> found;
    for (const auto& f : coll.fields) {
        if (lower(f) == lower(name)) {
            if (found) return std::nullopt;  // ambiguous
            found = f;
        }
    }
    return found;
}

std::optional<std::string> Compiler::fourVectorField(const Coll& coll,
                                                     std::string_view part) const {
    for (const auto& f : coll.fields) {
        const std::string l = lower(f);
        if (l == part || (part == "mass" && l == "m")) return f;
    }
    return std::nullopt;
}

Val Compiler::offsetsOf(const CollPtr& coll) {
    switch (coll->kind) {
        case Coll::Kind::Base: return loadColumn(coll->columns.front());
        case Coll::Kind::Masked: {
            // Reuse a field that is already masked; otherwise mask the mask itself.
            for (const auto& f : coll->fields)
                if (const Val* v = memo(coll->key + "." + f)) return *v;
            return maskValue(coll->mask, coll->mask, 0);
        }
        case Coll::Kind::Concat: return field(coll, "source");
    }
    HEPFLOW_ASSERT(false, "collection kind");
}

Val Compiler::field(const CollPtr& coll, const std::string& name) {
    const std::string key = coll->key + "." + name;
    if (const Val* v = memo(key)) return *v;
    Val v;
    switch (coll->kind) {
        case Coll::Kind::Base: {
            if (name == "index") {
                const Val shape = offsetsOf(coll);
                v.shape = Shape::Object;
                v.ty = Ty::Int;
                v.reg = newRegister();
                const int in_reg = shape.reg;
                const int out_reg = v.reg;
                emit({in_reg}, {out_reg}, [in_reg, out_reg](Frame& frame) {
                    frame.set(out_reg, kernels::localIndex(frame.in(in_reg).offsets(0)));
                });
            } else {
                const auto it = std::find(coll->fields.begin(), coll->fields.end(), name);
                v = loadColumn(coll->columns[static_cast<std::size_t>(it - coll->fields.begin())]);
            }
            break;
        }
        case Coll::Kind::Masked: {
            v = maskValue(field(coll->parent, name), coll->mask, 0);
            break;
        }
        case Coll::Kind::Concat: {
            if (name == "index") {
                const Val shape = field(coll, "source");
                v.shape = Shape::Object;
                v.ty = Ty::Int;
                v.reg = newRegister();
                const int in_reg = shape.reg;
                const int out_reg = v.reg;
                emit({in_reg}, {out_reg}, [in_reg, out_reg](Frame& frame) {
                    frame.set(out_reg, kernels::localIndex(frame.in(in_reg).offsets(0)));
                });
                break;
            }
            Val a;
            Val b;
            if (name == "source") {
                a = broadcastTo(makeConst<std::int64_t>(0), offsetsOf(coll->parent));
                b = broadcastTo(makeConst<std::int64_t>(1), offsetsOf(coll->second));
            } else {
                a = field(coll->parent, name);
                b = field(coll->second, name);
                const Ty t = promote({&a, &b}, false);
                a = cast(a, t);
                b = cast(b, t);
            }
            v.shape = Shape::Object;
            v.ty = a.ty;
            v.reg = newRegister();
            const int a_reg = a.reg;
            const int b_reg = b.reg;
            const int out_reg = v.reg;
            emit({a_reg, b_reg}, {out_reg}, [a_reg, b_reg, out_reg](Frame& frame) {
                frame.set(out_reg, kernels::concat(frame.in(a_reg), frame.in(b_reg)));
            });
            break;
        }
    }
    v.coll = coll->key;
    v.root = coll->root;
    v.combo = false;
    if (v.key.empty()) v.key = key;
    // Also reachable by the field's own key (e.g. "col:Muon_pt"), so that both spellings share
    // every computation that uses them.
    memo_[key] = v;
    memo_[v.key] = v;
    return v;
}

CollPtr Compiler::maskCollection(const CollPtr& coll, const Val& mask, int pos) {
    // Checks the collections now; each masked field checks counts itself where unproven.
    const Val shape = offsetsOf(coll);
    bool proven = false;
    requireSameCollection(shape, mask, pos, "mask", &proven);
    auto out = std::make_shared<Coll>();
    out->kind = Coll::Kind::Masked;
    out->parent = coll;
    out->mask = mask;
    out->key = coll->key + "[" + keyOf(mask) + "]";
    out->root = coll->root;
    out->fields = coll->fields;
    return out;
}

CollPtr Compiler::concatCollections(const CollPtr& a, const CollPtr& b) {
    auto out = std::make_shared<Coll>();
    out->kind = Coll::Kind::Concat;
    out->parent = a;
    out->second = b;
    out->key = "concat(" + a->key + "," + b->key + ")";
    out->root = "concat(" + a->root + ", " + b->root + ")";
    for (const auto& f : a->fields) {
        if (f == "index" || f == "source") continue;
        if (std::find(b->fields.begin(), b->fields.end(), f) != b->fields.end())
            out->fields.push_back(f);
    }
    out->fields.push_back("source");
    out->fields.push_back("index");
    return out;
}

Val Compiler::maskValue(const Val& x, const Val& mask, int pos) {
    bool proven = false;
    requireSameCollection(x, mask, pos, "mask", &proven);
    Val m = cast(mask, Ty::Bool);
    Val out = x;
    out.coll = x.coll + "[" + keyOf(m) + "]";
    out.key = "mask(" + x.key + "," + m.key + ")";
    if (const Val* v = memo(out.key)) return *v;
    out.reg = newRegister();
    const int x_reg = x.reg;
    const int m_reg = m.reg;
    const int out_reg = out.reg;
    const std::string x_root = x.root;
    const std::string m_root = mask.root;
    emit({x_reg, m_reg}, {out_reg}, [=](Frame& frame) {
        if (!proven) checkSameCounts(frame, frame.in(x_reg), frame.in(m_reg), x_root, m_root);
        frame.set(out_reg, kernels::maskObjects(frame.in(x_reg), frame.in(m_reg)));
    });
    return remember(out);
}

Val Compiler::takeValue(const Val& x, const Val& index, int pos) {
    Val out = x;
    out.shape = Shape::Event;
    out.coll.clear();
    out.root.clear();
    out.combo = false;
    out.key = "take(" + x.key + "," + keyOf(index) + ")";
    if (const Val* v = memo(out.key)) return *v;
    out.reg = newRegister();
    const int x_reg = x.reg;
    const int out_reg = out.reg;
    if (index.shape == Shape::Const) {
        if (index.ty != Ty::Int) fail(pos, "an index must be an int");
        const std::int64_t i = index.i;
        emit({x_reg}, {out_reg},
             [=](Frame& frame) { frame.set(out_reg, kernels::take(frame.in(x_reg), i)); });
    } else {
        const int i_reg = index.reg;
        emit({x_reg, i_reg}, {out_reg}, [=](Frame& frame) {
            frame.set(out_reg, kernels::take(frame.in(x_reg), frame.in(i_reg)));
        });
    }
    return remember(out);
}

Val Compiler::gatherValue(const Val& x, const Val& indices, int) {
    Val out = x;
    out.coll = indices.coll;
    out.root = indices.root;
    out.combo = indices.combo;
    out.key = "gather(" + x.key + "," + indices.key + ")";
    if (const Val* v = memo(out.key)) return *v;
    out.reg = newRegister();
    const int x_reg = x.reg;
    const int i_reg = indices.reg;
    const int out_reg = out.reg;
    emit({x_reg, i_reg}, {out_reg}, [=](Frame& frame) {
        const Column& in = frame.in(x_reg);
        const Column& idx = frame.in(i_reg);
        if (in.offsets(0).size() != idx.offsets(0).size())
            throw UsageError(
                fmt::format("expression '{}': gather over different numbers of "
                            "entries",
                            *frame.text));
        frame.set(out_reg, kernels::gather(in, idx));
    });
    return remember(out);
}

Val Compiler::reduceValue(kernels::Reduction op, const Val& x, Ty out_ty) {
    Val out;
    out.shape = Shape::Event;
    out.ty = out_ty;
    out.key = fmt::format("reduce{}({})", static_cast<int>(op), x.key);
    if (const Val* v = memo(out.key)) return *v;
    out.reg = newRegister();
    const int x_reg = x.reg;
    const int out_reg = out.reg;
    emit({x_reg}, {out_reg},
         [=](Frame& frame) { frame.set(out_reg, kernels::reduce(op, frame.in(x_reg))); });
    return remember(out);
}

Val Compiler::lowerUnary(const Node& node) {
    Val x = lowerValue(*node.children[0]);
    if (node.text == "!") {
        x = cast(x, Ty::Bool);
        return map<bool, bool>(
            "not", [](bool a) { return !a; }, {x}, node.pos);
    }
    Ty t = x.ty == Ty::Bool ? Ty::Int : x.ty;
    x = cast(x, t);
    return withType(t, [&]<class T>() -> Val {
        if constexpr (std::is_same_v<T, std::int64_t>) {
            return map<T, T>(
                "neg",
                [](T a) {
                    return static_cast<T>(std::uint64_t{0} - static_cast<std::uint64_t>(a));
                },
                {x}, node.pos);
        } else if constexpr (std::is_same_v<T, bool>) {
            HEPFLOW_ASSERT(false, "negation of bool");
        } else {
            Val r = map<T, T>(
                "neg", [](T a) { return -a; }, {x}, node.pos);
            r.weak = x.weak && r.shape == Shape::Const;
            return r;
        }
    });
}

Val Compiler::arith(const std::string& op, Val a, Val b, int pos) {
    Ty t = promote({&a, &b}, true);
    if (op == "/" && t == Ty::Int) t = Ty::Double;
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        if constexpr (std::is_same_v<T, bool>) {
            HEPFLOW_ASSERT(false, "arithmetic on bool");
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
            using U = std::uint64_t;
            if (op == "+")
                return map<T, T, T>(
                    "+",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) + static_cast<U>(y)); },
                    {a, b}, pos);
            if (op == "-")
                return map<T, T, T>(
                    "-",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) - static_cast<U>(y)); },
                    {a, b}, pos);
            if (op == "*")
                return map<T, T, T>(
                    "*",
                    [](T x, T y) { return static_cast<T>(static_cast<U>(x) * static_cast<U>(y)); },
                    {a, b}, pos);
            // `%` by 0 (and INT64_MIN % -1, which overflows) gives 0 instead of trapping.
            return map<T, T, T>(
                "%", [](T x, T y) { return (y == 0 || y == -1) ? T{0} : static_cast<T>(x % y); },
                {a, b}, pos);
        } else {
            if (op == "+")
                return map<T, T, T>(
                    "+", [](T x, T y) { return x + y; }, {a, b}, pos);
            if (op == "-")
                return map<T, T, T>(
                    "-", [](T x, T y) { return x - y; }, {a, b}, pos);
            if (op == "*")
                return map<T, T, T>(
                    "*", [](T x, T y) { return x * y; }, {a, b}, pos);
            if (op == "/")
                return map<T, T, T>(
                    "/", [](T x, T y) { return x / y; }, {a, b}, pos);
            return map<T, T, T>(
                "%", [](T x, T y) { return std::fmod(x, y); }, {a, b}, pos);
        }
    });
}

Val Compiler::compare(const std::string& op, Val a, Val b, int pos) {
    const Ty t = promote({&a, &b}, false);
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        if (op == "<")
            return map<bool, T, T>(
                "<", [](T x, T y) { return x < y; }, {a, b}, pos);
        if (op == "<=")
            return map<bool, T, T>(
                "<=", [](T x, T y) { return x <= y; }, {a, b}, pos);
        if (op == ">")
            return map<bool, T, T>(
                ">", [](T x, T y) { return x > y; }, {a, b}, pos);
        if (op == ">=")
            return map<bool, T, T>(
                ">=", [](T x, T y) { return x >= y; }, {a, b}, pos);
        if (op == "==")
            return map<bool, T, T>(
                "==", [](T x, T y) { return x == y; }, {a, b}, pos);
        return map<bool, T, T>(
            "!=", [](T x, T y) { return x != y; }, {a, b}, pos);
    });
}

Val Compiler::logic(const std::string& op, Val a, Val b, int pos) {
    a = cast(a, Ty::Bool);
    b = cast(b, Ty::Bool);
    // Both sides are whole columns already, so non-short-circuit bitwise forms vectorize.
    if (op == "&&")
        return map<bool, bool, bool>(
            "&&", [](bool x, bool y) { return x & y; }, {a, b}, pos);
    return map<bool, bool, bool>(
        "||", [](bool x, bool y) { return x | y; }, {a, b}, pos);
}

Val Compiler::lowerBinary(const Node& node) {
    const std::string& op = node.text;
    Val a = lowerValue(*node.children[0]);
    Val b = lowerValue(*node.children[1]);
    if (op == "&&" || op == "||") return logic(op, a, b, node.pos);
    if (op == "<" || op == "<=" || op == ">" || op == ">=" || op == "==" || op == "!=")
        return compare(op, a, b, node.pos);
    return arith(op, a, b, node.pos);
}

Val Compiler::lowerTernary(const Node& node) {
    Val c = cast(lowerValue(*node.children[0]), Ty::Bool);
    Val a = lowerValue(*node.children[1]);
    Val b = lowerValue(*node.children[2]);
    const Ty t = promote({&a, &b}, false);
    a = cast(a, t);
    b = cast(b, t);
    return withType(t, [&]<class T>() -> Val {
        return map<T, bool, T, T>(
            "?:", [](bool k, T x, T y) { return k ? x : y; }, {c, a, b}, node.pos);
    });
}

Term Compiler::lowerIndex(const Node& node) {
    Term base = lowerTerm(*node.children[0]);
    const Val index = lowerValue(*node.children[1]);
    const int pos = node.pos;
    Term t;
    if (base.kind == Term::Kind::Collection) {
        if (index.shape != Shape::Object || index.ty != Ty::Bool)
            fail(node.children[1]->pos,
                 fmt::format("a collection is selected with a per-object bool mask "
                             "('{}[{}.pt > 10]'); index one of its fields for single objects",
                             base.coll->root, base.coll->root));
        t.kind = Term::Kind::Collection;
        t.coll = maskCollection(base.coll, index, pos);
        return t;
    }
    if (base.kind == Term::Kind::Param)
        fail(pos, fmt::format("'{}' is one object: use its fields", base.param.name));
    const Val& x = base.value;
    if (x.shape != Shape::Object)
        fail(pos, "only per-object values can be indexed (this one has one value per event)");
    if (index.shape == Shape::Object) {
        if (index.ty == Ty::Bool) {
            t.value = maskValue(x, index, pos);
        } else if (index.ty == Ty::Int) {
            t.value = gatherValue(x, index, pos);
        } else {
            fail(node.children[1]->pos,
                 fmt::format("an index must be int or a bool mask, not {}", tyName(index.ty)));
        }
        return t;
    }
    if (index.ty != Ty::Int)
        fail(node.children[1]->pos,
             fmt::format("an index must be an int, not {}", tyName(index.ty)));
    t.value = takeValue(x, index, pos);
    return t;
}

ComboPtr Compiler::combination(const std::string& kind, std::vector<CollPtr> colls) {
    std::string key = kind + "(";
    std::string root = kind + "(";
    for (std::size_t i = 0; i < colls.size(); ++i) {
        key += (i ? "," : "") + colls[i]->key;
        root += (i ? ", " : "") + colls[i]->root;
    }
    key += ")";
    root += ")";
    if (auto it = combos_.find(key); it != combos_.end()) return it->second;
    auto combo = std::make_shared<Combo>();
    combo->key = key;
    combo->root = root;
    const std::size_t k = kind == "triplets" ? 3 : 2;
    for (std::size_t m = 0; m < k; ++m) {
        combo->colls.push_back(colls.size() == 1 ? colls[0] : colls[m]);
        combo->regs.push_back(newRegister());
    }
    std::vector<int> inputs;
    for (const auto& c : colls) inputs.push_back(offsetsOf(c).reg);
    const auto outputs = combo->regs;
    const bool cross = colls.size() == 2;
    emit(inputs, outputs, [inputs, outputs, cross](Frame& frame) {
        kernels::Combinations result =
            cross ? kernels::crossPairs(frame.in(inputs[0]).offsets(0),
                                        frame.in(inputs[1]).offsets(0))
                  : kernels::combinations(frame.in(inputs[0]).offsets(0),
                                          static_cast<int>(outputs.size()));
        HEPFLOW_ASSERT(result.members.size() == outputs.size(), "combination arity");
        for (std::size_t m = 0; m < outputs.size(); ++m)
            frame.set(outputs[m], std::move(result.members[m]));
    });
    combos_[key] = combo;
    return combo;
}

Val Compiler::paramField(const ParamRef& param, const std::string& name, int pos) {
    const CollPtr& coll = param.combo->colls[param.member];
    const auto f = findField(*coll, name);
    if (!f)
        fail(pos, fmt::format("'{}' (an object of '{}') has no field '{}'{}", param.name,
                              coll->root, name, suggestion(name, coll->fields)));
    const Val source = field(coll, *f);
    const Val positions = positionsOf(param);
    return gatherValue(source, positions, pos);
}

Val Compiler::lowerCombinations(const Node& node, const std::string& name) {
    const std::size_t k = name == "triplets" ? 3 : 2;
    const auto& args = node.children;
    if (args.size() < 2 || args.size() > (name == "pairs" ? 3u : 2u) ||
        args.back()->kind != NodeKind::Lambda)
        fail(node.pos, name == "pairs" ? "pairs() takes a collection (or two) and a lambda: "
                                         "pairs(C, (a, b) -> ...)"
                                       : "triplets() takes a collection and a lambda: "
                                         "triplets(C, (a, b, c) -> ...)");
    const Node& lambda = *args.back();
    if (lambda.params.size() != k)
        fail(lambda.pos, fmt::format("the lambda of {}() takes {} parameters", name, k));
    std::vector<CollPtr> colls;
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        colls.push_back(lowerCollection(*args[i], name + "()"));
    ComboPtr combo = combination(name, colls);
    std::map<std::string, ParamRef> scope;
    for (std::size_t m = 0; m < k; ++m) scope[lambda.params[m]] = {combo, m, lambda.params[m]};
    scopes_.push_back(std::move(scope));
    Val body = lowerValue(*lambda.children[0]);
    scopes_.pop_back();
    Val shape;
    shape.shape = Shape::Object;
    shape.ty = Ty::Int;
    shape.reg = combo->regs[0];
    shape.key = combo->key + "#0";
    shape.coll = combo->key;
    shape.root = combo->root;
    shape.combo = true;
    if (body.shape != Shape::Object) return broadcastTo(body, shape);
    if (body.coll != combo->key)
        fail(lambda.children[0]->pos,
             fmt::format("a {}() body may use per-event values and the fields of its objects, "
                         "not per-object values of '{}'",
                         name, body.root));
    return body;
}

Val Compiler::lowerFourVector(const Node& node, const std::string& name) {
    const kernels::FourVectorPart part = name == "mass"  ? kernels::FourVectorPart::Mass
                                         : name == "pt"  ? kernels::FourVectorPart::Pt
                                         : name == "eta" ? kernels::FourVectorPart::Eta
                                                         : kernels::FourVectorPart::Phi;
    if (node.children.empty()) fail(node.pos, fmt::format("{}() needs arguments", name));
    std::vector<Term> terms;
    for (const auto& arg : node.children) terms.push_back(lowerTerm(*arg));
    auto fourVector = [&](const CollPtr& coll, int pos, auto&& get) {
        std::array<int, 4> regs{-1, -1, -1, -1};
        std::array<std::string, 4> parts = {"pt", "eta", "phi", "mass"};
        std::string key;
        for (std::size_t p = 0; p < 4; ++p) {
            const auto f = fourVectorField(*coll, parts[p]);
            if (!f) {
                if (p == 3) break;  // massless
                fail(pos, fmt::format("collection '{}' has no '{}' field", coll->root, parts[p]));
            }
            const Val v = get(*f);
            regs[p] = v.reg;
            key += v.key + ";";
        }
        return std::make_pair(regs, key);
    };
    if (terms.size() == 1 && terms[0].kind == Term::Kind::Collection) {
        const CollPtr coll = terms[0].coll;
        const auto fields = fourVector(coll, node.children[0]->pos,
                                       [&](const std::string& f) { return field(coll, f); });
        const std::array<int, 4> regs = fields.first;
        const std::string& key = fields.second;
        Val out;
        out.shape = Shape::Event;
        out.ty = Ty::Double;
        out.key = name + "sumObjects(" + key + ")";
        if (const Val* v = memo(out.key)) return *v;
        out.reg = newRegister();
        std::vector<int> inputs;
        for (int r : regs)
            if (r >= 0) inputs.push_back(r);
        const int out_reg = out.reg;
        emit(inputs, {out_reg}, [regs, part, out_reg](Frame& frame) {
            kernels::FourVectorColumns c;
            c.pt = &frame.in(regs[0]);
            c.eta = &frame.in(regs[1]);
            c.phi = &frame.in(regs[2]);
            c.mass = regs[3] >= 0 ? &frame.in(regs[3]) : nullptr;
            frame.set(out_reg, kernels::sumObjects(c, part));
        });
        return remember(out);
    }
    // Objects of a pairs()/triplets(): each object's four-vector is turned into (px, py, pz, E)
    // once per collection; one fused loop then sums the members of every combination, reading
    // the objects through the member positions. Trigonometry runs once per object instead of
    // once per member of every combination, and no gathered copies are made.
    ComboPtr combo;
    struct Member {
        std::array<Val, 4> cartesian;
        Val positions;
    };
    std::vector<Member> members;
    std::string key = name + "sumCartesian(";
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (terms[i].kind != Term::Kind::Param)
            fail(node.children[i]->pos,
                 fmt::format("{}() takes one collection ({}(Muon)) or objects of a pairs()/"
                             "triplets() body ({}(a, b))",
                             name, name, name));
        const ParamRef& p = terms[i].param;
        if (combo && combo != p.combo)
            fail(node.children[i]->pos,
                 fmt::format("{}(): '{}' belongs to another pairs()/triplets()", name, p.name));
        combo = p.combo;
        Member m{cartesianOf(p.combo->colls[p.member], node.children[i]->pos), positionsOf(p)};
        key += m.cartesian[0].key + "@" + m.positions.key + "|";
        members.push_back(m);
    }
    Val out;
    out.shape = Shape::Object;
    out.ty = Ty::Double;
    out.coll = combo->key;
    out.root = combo->root;
    out.combo = true;
    out.key = key + ")";
    if (const Val* v = memo(out.key)) return *v;
    out.reg = newRegister();
    std::vector<int> inputs;  // per member: x, y, z, E, positions
    for (const auto& m : members) {
        for (const auto& v : m.cartesian) inputs.push_back(v.reg);
        inputs.push_back(m.positions.reg);
    }
    const int out_reg = out.reg;
    emit(inputs, {out_reg}, [inputs, part, out_reg](Frame& frame) {
        const std::size_t num_members = inputs.size() / 5;
        const Column& shape = frame.in(inputs[4]);
        const Offsets& combos = shape.offsets(0);
        const std::size_t num_events = combos.size() - 1;
        std::vector<const double*> p(num_members * 4);
        std::vector<const std::int64_t*> pos(num_members);
        std::vector<const Offsets*> objects(num_members);
        for (std::size_t m = 0; m < num_members; ++m) {
            for (std::size_t c = 0; c < 4; ++c)
                p[4 * m + c] = frame.in(inputs[5 * m + c]).values<double>().data();
            const Column& positions = frame.in(inputs[5 * m + 4]);
            pos[m] = positions.values<std::int64_t>().data() + firstOffset(positions);
            objects[m] = &frame.in(inputs[5 * m]).offsets(0);
            HEPFLOW_ASSERT(objects[m]->size() == combos.size() && (*objects[m])[0] == 0,
                           "four-vector columns and combinations over other events");
        }
        Column out = newLike<double>(frame, shape, true, activeCount(shape));
        double* dst = out.values<double>().data();
        const std::int64_t first = combos.front();
        std::vector<std::int64_t> base(num_members);
        for (std::size_t e = 0; e < num_events; ++e) {
            for (std::size_t m = 0; m < num_members; ++m) base[m] = (*objects[m])[e];
            for (std::int64_t i = combos[e] - first; i < combos[e + 1] - first; ++i) {
                double x = 0, y = 0, z = 0, energy = 0;
                for (std::size_t m = 0; m < num_members; ++m) {
                    const std::int64_t j = base[m] + pos[m][i];
                    x += p[4 * m][j];
                    y += p[4 * m + 1][j];
                    z += p[4 * m + 2][j];
                    energy += p[4 * m + 3][j];
                }
                dst[i] = fourVectorPart(part, x, y, z, energy);
            }
        }
        frame.set(out_reg, std::move(out));
    });
    return remember(out);
}

// (px, py, pz, E) of every object of a collection, as double per-object columns.
std::array<Val, 4> Compiler::cartesianOf(const CollPtr& coll, int pos) {
    std::array<int, 4> regs{-1, -1, -1, -1};
    std::array<Val, 4> fields;
    static const std::array<std::string, 4> kParts = {"pt", "eta", "phi", "mass"};
    std::string key = "cartesian(";
    for (std::size_t p = 0; p < 4; ++p) {
        const auto f = fourVectorField(*coll, kParts[p]);
        if (!f) {
            if (p == 3) break;  // massless
            fail(pos, fmt::format("collection '{}' has no '{}' field", coll->root, kParts[p]));
        }
        fields[p] = field(coll, *f);
    }
    // Float fields are read as they are; anything else is converted to double first.
    bool all_float = true;
    for (const auto& v : fields) all_float = all_float && (v.reg < 0 || v.ty == Ty::Float);
    const Ty input_ty = all_float ? Ty::Float : Ty::Double;
    for (std::size_t p = 0; p < 4; ++p) {
        if (fields[p].reg < 0) continue;
        fields[p] = cast(fields[p], input_ty);
        regs[p] = fields[p].reg;
        key += fields[p].key + ";";
    }
    key += ")";
    std::array<Val, 4> out;
    for (std::size_t c = 0; c < 4; ++c) {
        out[c].shape = Shape::Object;
        out[c].ty = Ty::Double;
        out[c].coll = coll->key;
        out[c].root = coll->root;
        out[c].key = fmt::format("{}#{}", key, c);
    }
    if (memo(out[0].key) != nullptr) {
        for (std::size_t c = 0; c < 4; ++c) out[c] = *memo(out[c].key);
        return out;
    }
    std::vector<int> inputs;
    for (int r : regs)
        if (r >= 0) inputs.push_back(r);
    std::vector<int> outputs;
    for (auto& v : out) {
        v.reg = newRegister();
        outputs.push_back(v.reg);
        remember(v);
    }
    withType(input_ty, [&]<class T>() {
        // Only the px column carries offsets: py, pz and E are read by the fused sum alone,
        // with px's offsets.
        emit(inputs, outputs, [regs, outputs](Frame& frame) {
            const Column& pt_column = frame.in(regs[0]);
            const std::size_t n = activeCount(pt_column);
            for (int r : regs)
                if (r >= 0) requireValues(frame, frame.in(r), n, "four-vector");
            auto data = [&](int reg) {
                const Column& c = frame.in(reg);
                return c.values<T>().data() + firstOffset(c);
            };
            const T* pt = data(regs[0]);
            const T* eta = data(regs[1]);
            const T* phi = data(regs[2]);
            const T* mass = regs[3] >= 0 ? data(regs[3]) : nullptr;
            std::array<Column, 4> cols;
            std::array<double*, 4> dst{};
            for (std::size_t c = 0; c < 4; ++c) {
                cols[c] = newLike<double>(frame, pt_column, c == 0, n);
                dst[c] = cols[c].values<double>().data();
            }
            for (std::size_t i = 0; i < n; ++i) {
                const double r = pt[i];
                const double x = r * std::cos(static_cast<double>(phi[i]));
                const double y = r * std::sin(static_cast<double>(phi[i]));
                const double z = r * std::sinh(static_cast<double>(eta[i]));
                const double m = mass != nullptr ? static_cast<double>(mass[i]) : 0.0;
                dst[0][i] = x;
                dst[1][i] = y;
                dst[2][i] = z;
                dst[3][i] = std::sqrt(x * x + y * y + z * z + m * m);
            }
            for (std::size_t c = 0; c < 4; ++c) frame.set(outputs[c], std::move(cols[c]));
        });
    });
    return out;
}

Val Compiler::positionsOf(const ParamRef& param) {
    Val positions;
    positions.shape = Shape::Object;
    positions.ty = Ty::Int;
    positions.reg = param.combo->regs[param.member];
    positions.key = fmt::format("{}#{}", param.combo->key, param.member);
    positions.coll = param.combo->key;
    positions.root = param.combo->root;
    positions.combo = true;
    return positions;
}

Val Compiler::minMax(bool is_max, std::vector<Val> args, int pos) {
    std::vector<const Val*> ptrs;
    for (const auto& a : args) ptrs.push_back(&a);
    const Ty t = promote(ptrs, true);
    Val acc = cast(args[0], t);
    for (std::size_t i = 1; i < args.size(); ++i) {
        Val next = cast(args[i], t);
        acc = withType(t, [&]<class T>() -> Val {
            if constexpr (std::is_floating_point_v<T>) {
                // fmin/fmax: a NaN operand is ignored (NaN only when all are NaN).
                if (is_max)
                    return map<T, T, T>(
                        "fmax", [](T x, T y) { return std::fmax(x, y); }, {acc, next}, pos);
                return map<T, T, T>(
                    "fmin", [](T x, T y) { return std::fmin(x, y); }, {acc, next}, pos);
            } else {
                if (is_max)
                    return map<T, T, T>(
                        "max", [](T x, T y) { return x < y ? y : x; }, {acc, next}, pos);
                return map<T, T, T>(
                    "min", [](T x, T y) { return y < x ? y : x; }, {acc, next}, pos);
            }
        });
    }
    return acc;
}

template <class T>
T wrapPhi(T d) {
    constexpr T kPi = std::numbers::pi_v<T>;
    constexpr T kTwoPi = 2 * std::numbers::pi_v<T>;
    return d - kTwoPi * std::floor((d + kPi) / kTwoPi);
}

Val Compiler::lowerMath(const Node& node, const std::string& name, std::vector<Val> args) {
    static const std::map<std::string, std::size_t> kArity = {
        {"abs", 1},   {"sqrt", 1},  {"exp", 1},   {"log", 1},      {"log10", 1},  {"pow", 2},
        {"sin", 1},   {"cos", 1},   {"tan", 1},   {"asin", 1},     {"acos", 1},   {"atan", 1},
        {"atan2", 2}, {"sinh", 1},  {"cosh", 1},  {"tanh", 1},     {"hypot", 2},  {"floor", 1},
        {"ceil", 1},  {"round", 1}, {"isnan", 1}, {"deltaPhi", 2}, {"deltaR", 4}, {"mt", 4}};
    const std::size_t arity = kArity.at(name);
    if (args.size() != arity)
        fail(node.pos, fmt::format("{}() takes {} argument{}, not {}", name, arity,
                                   arity == 1 ? "" : "s", args.size()));
    std::vector<const Val*> ptrs;
    for (const auto& a : args) ptrs.push_back(&a);
    Ty t = promote(ptrs, false);
    if (t != Ty::Float) t = Ty::Double;
    for (auto& a : args) a = cast(a, t);
    const int pos = node.pos;
    return withType(t, [&]<class T>() -> Val {
        if constexpr (!std::is_floating_point_v<T>) {
            HEPFLOW_ASSERT(false, "math on a non-float type");
        } else {
#define HEPFLOW_UNARY(fn_name, expr) \
    if (name == fn_name)             \
        return map<T, T>(            \
            fn_name, [](T x) -> T { return expr; }, args, pos);
            HEPFLOW_UNARY("abs", std::abs(x))
            HEPFLOW_UNARY("sqrt", std::sqrt(x))
            HEPFLOW_UNARY("exp", std::exp(x))
            HEPFLOW_UNARY("log", std::log(x))
            HEPFLOW_UNARY("log10", std::log10(x))
            HEPFLOW_UNARY("sin", std::sin(x))
            HEPFLOW_UNARY("cos", std::cos(x))
            HEPFLOW_UNARY("tan", std::tan(x))
            HEPFLOW_UNARY("asin", std::asin(x))
            HEPFLOW_UNARY("acos", std::acos(x))
            HEPFLOW_UNARY("atan", std::atan(x))
            HEPFLOW_UNARY("sinh", std::sinh(x))
            HEPFLOW_UNARY("cosh", std::cosh(x))
            HEPFLOW_UNARY("tanh", std::tanh(x))
            HEPFLOW_UNARY("floor", std::floor(x))
            HEPFLOW_UNARY("ceil", std::ceil(x))
            HEPFLOW_UNARY("round", std::round(x))
#undef HEPFLOW_UNARY
            if (name == "isnan")
                return map<bool, T>(
                    "isnan", [](T x) { return std::isnan(x); }, args, pos);
            if (name == "pow")
                return map<T, T, T>(
                    "pow", [](T x, T y) -> T { return std::pow(x, y); }, args, pos);
            if (name == "atan2")
                return map<T, T, T>(
                    "atan2", [](T y, T x) -> T { return std::atan2(y, x); }, args, pos);
            if (name == "hypot")
                return map<T, T, T>(
                    "hypot", [](T x, T y) -> T { return std::hypot(x, y); }, args, pos);
            if (name == "deltaPhi")
                return map<T, T, T>(
                    "deltaPhi", [](T a, T b) { return wrapPhi<T>(a - b); }, args, pos);
            if (name == "deltaR")
                return map<T, T, T, T, T>(
                    "deltaR",
                    [](T eta1, T phi1, T eta2, T phi2) -> T {
                        const T deta = eta1 - eta2;
                        const T dphi = wrapPhi<T>(phi1 - phi2);
                        return std::sqrt(deta * deta + dphi * dphi);
                    },
                    args, pos);
            return map<T, T, T, T, T>(
                "mt",
                [](T pt1, T phi1, T pt2, T phi2) -> T {
                    return std::sqrt(2 * pt1 * pt2 * (1 - std::cos(phi1 - phi2)));
                },
                args, pos);
        }
    });
}

Val Compiler::lowerReduction(const Node& node, const std::string& name, const Val& x) {
    if (x.shape != Shape::Object)
        fail(node.pos,
             fmt::format("{}() of one argument reduces per-object values, but this one "
                         "has {}",
                         name,
                         x.shape == Shape::Const ? "a constant value" : "one value per event"));
    using kernels::Reduction;
    if (name == "sum") {
        const Ty t = x.ty == Ty::Bool ? Ty::Int : x.ty;
        return reduceValue(Reduction::Sum, x, t);
    }
    if (name == "count")
        return reduceValue(x.ty == Ty::Bool ? Reduction::CountTrue : Reduction::Count, x, Ty::Int);
    if (name == "any") return reduceValue(Reduction::Any, cast(x, Ty::Bool), Ty::Bool);
    if (name == "all") return reduceValue(Reduction::All, cast(x, Ty::Bool), Ty::Bool);
    if (name == "mean") return reduceValue(Reduction::Mean, x, Ty::Double);
    const Val y = x.ty == Ty::Bool ? cast(x, Ty::Int) : x;
    if (name == "min") return reduceValue(Reduction::Min, y, y.ty);
    if (name == "max") return reduceValue(Reduction::Max, y, y.ty);
    if (name == "argmin") return reduceValue(Reduction::ArgMin, y, Ty::Int);
    return reduceValue(Reduction::ArgMax, y, Ty::Int);
}

Term Compiler::lowerCall(const Node& node) {
    const std::string& name = node.text;
    const auto& args = node.children;
    const std::size_t n = args.size();
    Term t;
    auto values = [&] {
        std::vector<Val> out;
        for (const auto& a : args) out.push_back(lowerValue(*a));
        return out;
    };
    static const std::set<std::string> kMath = {
        "abs",   "sqrt",  "exp",  "log",   "log10", "pow",      "sin",    "cos",
        "tan",   "asin",  "acos", "atan",  "atan2", "sinh",     "cosh",   "tanh",
        "hypot", "floor", "ceil", "round", "isnan", "deltaPhi", "deltaR", "mt"};
    static const std::set<std::string> kReductions = {"sum",  "count",  "any",   "all",
                                                      "mean", "argmin", "argmax"};
    if (kMath.count(name) != 0) {
        t.value = lowerMath(node, name, values());
        return t;
    }
    if (name == "min" || name == "max") {
        if (n == 1) {
            t.value = lowerReduction(node, name, lowerValue(*args[0]));
        } else if (n >= 2) {
            t.value = minMax(name == "max", values(), node.pos);
        } else {
            fail(node.pos, fmt::format("{}() needs arguments", name));
        }
        return t;
    }
    if (kReductions.count(name) != 0) {
        if (n != 1) fail(node.pos, fmt::format("{}() takes one argument", name));
        if (name == "count") {
            Term arg = lowerTerm(*args[0]);
            if (arg.kind == Term::Kind::Collection) {
                t.value = reduceValue(kernels::Reduction::Count, offsetsOf(arg.coll), Ty::Int);
                return t;
            }
        }
        t.value = lowerReduction(node, name, lowerValue(*args[0]));
        return t;
    }
    if (name == "argsort" || name == "sort") {
        if (n < 1 || n > (name == "sort" ? 2u : 1u))
            fail(node.pos, name == "sort" ? "sort() takes a value and an optional key"
                                          : "argsort() takes one argument");
        const Val x = lowerValue(*args[0]);
        Val key = n == 2 ? lowerValue(*args[1]) : x;
        for (const Val* v : std::array<const Val*, 2>{&x, &key})
            if (v->shape != Shape::Object)
                fail(node.pos, fmt::format("{}() needs per-object values", name));
        bool proven = false;
        requireSameCollection(x, key, node.pos, "sort", &proven);
        if (key.ty == Ty::Bool) key = cast(key, Ty::Int);
        Val idx;
        idx.shape = Shape::Object;
        idx.ty = Ty::Int;
        idx.coll = key.coll;
        idx.root = key.root;
        idx.combo = key.combo;
        idx.key = "argsort(" + key.key + ")";
        if (const Val* m = memo(idx.key)) {
            idx = *m;
        } else {
            idx.reg = newRegister();
            const int k_reg = key.reg;
            const int out_reg = idx.reg;
            emit({k_reg}, {out_reg},
                 [=](Frame& frame) { frame.set(out_reg, kernels::argsort(frame.in(k_reg))); });
            idx = remember(idx);
        }
        if (name == "argsort") {
            t.value = idx;
            return t;
        }
        if (!proven) {
            const int x_reg = x.reg;
            const int k_reg = key.reg;
            const std::string xr = x.root;
            const std::string kr = key.root;
            Val checked = x;
            checked.key = "checked(" + x.key + "," + key.key + ")";
            checked.reg = newRegister();
            const int out_reg = checked.reg;
            emit({x_reg, k_reg}, {out_reg}, [=](Frame& frame) {
                checkSameCounts(frame, frame.in(x_reg), frame.in(k_reg), xr, kr);
                frame.set(out_reg, frame.in(x_reg));
            });
            t.value = gatherValue(checked, idx, node.pos);
            t.value.coll = x.coll;
            return t;
        }
        t.value = gatherValue(x, idx, node.pos);
        t.value.coll = x.coll;
        t.value.root = x.root;
        return t;
    }
    if (name == "concat") {
        if (n != 2) fail(node.pos, "concat() takes two collections");
        t.kind = Term::Kind::Collection;
        t.coll = concatCollections(lowerCollection(*args[0], "concat()"),
                                   lowerCollection(*args[1], "concat()"));
        return t;
    }
    if (name == "pairs" || name == "triplets") {
        t.value = lowerCombinations(node, name);
        return t;
    }
    if (name == "mass" || name == "pt" || name == "eta" || name == "phi") {
        t.value = lowerFourVector(node, name);
        return t;
    }
    if (name == "mindR" || name == "cleaned") {
        if (n != (name == "mindR" ? 2u : 3u))
            fail(node.pos, name == "mindR" ? "mindR() takes two collections"
                                           : "cleaned() takes two collections and a deltaR");
        const CollPtr a = lowerCollection(*args[0], name + "()");
        const CollPtr b = lowerCollection(*args[1], name + "()");
        std::array<Val, 4> in;
        std::size_t k = 0;
        for (const auto& [c, pos] : {std::pair{a, args[0]->pos}, std::pair{b, args[1]->pos}}) {
            for (const char* part : {"eta", "phi"}) {
                const auto f = fourVectorField(*c, part);
                if (!f) fail(pos, fmt::format("collection '{}' has no '{}' field", c->root, part));
                in[k++] = field(c, *f);
            }
        }
        Val dr;
        dr.shape = Shape::Object;
        dr.ty = Ty::Double;
        dr.coll = in[0].coll;
        dr.root = in[0].root;
        dr.key = fmt::format("mindR({},{},{},{})", in[0].key, in[1].key, in[2].key, in[3].key);
        if (const Val* m = memo(dr.key)) {
            dr = *m;
        } else {
            dr.reg = newRegister();
            const std::array<int, 4> regs = {in[0].reg, in[1].reg, in[2].reg, in[3].reg};
            const int out_reg = dr.reg;
            emit({regs[0], regs[1], regs[2], regs[3]}, {out_reg}, [regs, out_reg](Frame& frame) {
                frame.set(out_reg, kernels::minDeltaR(frame.in(regs[0]), frame.in(regs[1]),
                                                      frame.in(regs[2]), frame.in(regs[3])));
            });
            dr = remember(dr);
        }
        if (name == "mindR") {
            t.value = dr;
            return t;
        }
        t.value = compare(">", dr, lowerValue(*args[2]), node.pos);
        return t;
    }
    static const std::vector<std::string> kFunctions = {
        "abs",   "sqrt",     "exp",   "log",   "log10",  "pow",      "sin",     "cos",    "tan",
        "asin",  "acos",     "atan",  "atan2", "sinh",   "cosh",     "tanh",    "hypot",  "floor",
        "ceil",  "round",    "isnan", "min",   "max",    "deltaPhi", "deltaR",  "mt",     "sum",
        "count", "any",      "all",   "mean",  "argmin", "argmax",   "argsort", "sort",   "concat",
        "pairs", "triplets", "mass",  "pt",    "eta",    "phi",      "mindR",   "cleaned"};
    fail(node.pos, fmt::format("unknown function '{}'{}", name, suggestion(name, kFunctions)));
}

Val Compiler::collectionResult(const CollPtr& coll) {
    std::vector<Val> fields;
    for (const auto& f : coll->fields) fields.push_back(field(coll, f));
    Val out;
    out.shape = Shape::Object;
    out.reg = newRegister();
    std::vector<int> inputs;
    for (const auto& f : fields) inputs.push_back(f.reg);
    const auto names = coll->fields;
    const int out_reg = out.reg;
    emit(inputs, {out_reg}, [inputs, names, out_reg](Frame& frame) {
        Column out(DType::Struct);
        for (std::size_t i = 0; i < names.size(); ++i)
            out.members().emplace_back(names[i], frame.in(inputs[i]));
        out.setStructLength(frame.batch->num_entries);
        frame.set(out_reg, std::move(out));
    });
    return out;
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

}  // namespace

std::unique_ptr<ProgramData> compileProgram(std::string_view text, const Schema& schema) {
    return Compiler(text, schema).compile();
}

}  // namespace hepflow::frame::expr::detail
