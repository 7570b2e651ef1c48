// The compiler's state and lowering steps: expression syntax tree -> program of column kernels.
// Its methods are split by job over compiler.cpp (emission, program assembly) and
// detail/lower_*.cpp (operators, collections, combinations, four-vectors, function calls);
// `map`, the elementwise lowering every operator uses, is defined here as a template.
#pragma once

#include <algorithm>
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/error.h"
#include "frame/expr/detail/ast.h"
#include "frame/expr/detail/collections.h"
#include "frame/expr/detail/elementwise.h"
#include "frame/expr/detail/program.h"
#include "frame/expr/detail/runtime.h"
#include "frame/expr/detail/type_rules.h"
#include "frame/kernels/jagged_kernels.h"

namespace hepflow::frame::expr::detail {

// One compilation: single use, not thread-safe (compileProgram() makes one per call).
class Compiler {
public:
    Compiler(std::string_view text, const Schema& schema)
        : text_(text), schema_(schema), collections_(inferCollections(schema)) {}

    std::unique_ptr<ProgramData> compile();

private:
    // -- schema ------------------------------------------------------------------------------
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
    // True (with `out` the earlier value) when a value of `out.key` was lowered already; else
    // gives `out` a fresh register for the caller to fill.
    bool reuse(Val& out) {
        if (const Val* earlier = memo(out.key)) {
            out = *earlier;
            return true;
        }
        out.reg = newRegister();
        return false;
    }
    // Memoizes `v` under its structural key; the value returned (and kept) carries a short
    // alias of a long key, since the keys of later values embed it (let chains would otherwise
    // grow keys exponentially).
    Val remember(Val v) {
        const std::string full = v.key;
        v.key = intern(full);
        memo_[full] = v;
        return v;
    }
    // `key` itself when short, else an alias ("%N") that is the same for equal keys.
    std::string intern(std::string key);
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
    // With `index` (a per-event or constant int): only the combination at it, per event, unless
    // all of them are enumerated already; `indexed` tells which.
    Val lowerCombinations(const Node& node, const std::string& name, const Val* index = nullptr,
                          bool* indexed = nullptr);
    Val lowerFourVector(const Node& node, const std::string& name);
    Val lowerSort(const Node& node, const std::string& name);
    Val lowerMinDeltaR(const Node& node, const std::string& name);

    Val arith(const std::string& op, Val a, Val b, int pos);
    Val compare(const std::string& op, Val a, Val b, int pos);
    Val logic(const std::string& op, Val a, Val b, int pos);
    Val minMax(bool is_max, std::vector<Val> args, int pos);
    Val maskValue(const Val& x, const Val& mask, int pos);
    Val takeValue(const Val& x, const Val& index, int pos);
    // x at per-object `indices`; for the fields of a combination `member`, indices are its
    // local positions and the gather goes through the member's absolute positions.
    Val gatherValue(const Val& x, const Val& indices, int pos, const ParamRef* member = nullptr);
    Val reduceValue(kernels::Reduction op, const Val& x, Ty out);
    void requireSameCollection(const Val& a, const Val& b, int pos, std::string_view verb,
                               bool* proven);

    // -- collections -------------------------------------------------------------------------
    CollPtr baseCollection(const std::string& name);
    Val field(const CollPtr& coll, const std::string& name);
    Val offsetsOf(const CollPtr& coll);
    Val paramField(const ParamRef& param, const std::string& name, int pos);
    Val positionsOf(const ParamRef& param);
    std::array<Val, 4> cartesianOf(const CollPtr& coll, int pos);
    CollPtr maskCollection(const CollPtr& coll, const Val& mask, int pos);
    CollPtr concatCollections(const CollPtr& a, const CollPtr& b);
    // kernels::concatLayout of a Concat collection (an operand of its fields' concat only).
    Val concatLayoutOf(const CollPtr& coll);
    ComboPtr combination(const std::string& kind, std::vector<CollPtr> colls,
                         const Val* index = nullptr);
    std::string combinationKey(const std::string& kind, const std::vector<CollPtr>& colls,
                               const Val* index);
    Val collectionResult(const CollPtr& coll);
    Val localIndex(const Val& shape);
    // A collection's display name, shortened where nesting made it long.
    static std::string displayName(std::string name);

    std::string text_;
    const Schema& schema_;
    CollectionIndex collections_;  // inferred from the schema
    std::map<std::string, CollPtr> base_colls_;

    std::vector<Instruction> instructions_;
    int num_registers_ = 0;
    std::unordered_map<std::string, Val> memo_;
    std::unordered_map<std::string, std::string> aliases_;  // long key -> alias (intern())
    std::unordered_map<std::string, ComboPtr> combos_;
    std::map<std::string, Term> lets_;
    std::vector<std::map<std::string, ParamRef>> scopes_;
    std::set<std::string> loaded_;
    // Per loaded column's register: set by compile() when that column is the whole result, so
    // that the load copies it out (checking its offsets in the same pass) instead of borrowing.
    std::map<int, std::shared_ptr<bool>> result_loads_;
};

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
    if (reuse(out)) return out;

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

}  // namespace hepflow::frame::expr::detail
