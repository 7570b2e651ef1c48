// Lowering of function calls: dispatch by name (detail/functions.h), elementwise math,
// min/max, reductions, sorting and the deltaR helpers mindR()/cleaned().
#include <cmath>

#include <fmt/format.h>

#include "frame/expr/detail/diagnostics.h"
#include "frame/expr/detail/functions.h"
#include "frame/expr/detail/lowering.h"

namespace hepflow::frame::expr::detail {

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

Val Compiler::lowerMath(const Node& node, const std::string& name, std::vector<Val> args) {
    const std::size_t arity = *mathArity(name);
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
    if (mathArity(name)) {
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
    if (isReduction(name)) {
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
        t.value = lowerSort(node, name);
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
        t.value = lowerMinDeltaR(node, name);
        return t;
    }
    fail(node.pos, fmt::format("unknown function '{}'{}", name, suggestion(name, functionNames())));
}

// sort(x[, key]) and argsort(key): a stable sort of every entry's objects.
Val Compiler::lowerSort(const Node& node, const std::string& name) {
    const auto& args = node.children;
    const std::size_t n = args.size();
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
    if (name == "argsort") return idx;
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
        Val sorted = gatherValue(checked, idx, node.pos);
        sorted.coll = x.coll;
        return sorted;
    }
    Val sorted = gatherValue(x, idx, node.pos);
    sorted.coll = x.coll;
    sorted.root = x.root;
    return sorted;
}

// mindR(A, B): per object of A, the smallest deltaR to an object of B; cleaned(A, B, dR):
// the mask of A's objects farther than dR from every object of B.
Val Compiler::lowerMinDeltaR(const Node& node, const std::string& name) {
    const auto& args = node.children;
    if (args.size() != (name == "mindR" ? 2u : 3u))
        fail(node.pos, name == "mindR" ? "mindR() takes two collections"
                                       : "cleaned() takes two collections and a deltaR");
    const CollPtr a = lowerCollection(*args[0], name + "()");
    const CollPtr b = lowerCollection(*args[1], name + "()");
    // B[mask] is read as B's fields plus the mask: the kernel skips the masked-out objects
    // instead of the masked fields being copied first.
    const bool b_masked = b->kind == Coll::Kind::Masked;
    const CollPtr b_fields = b_masked ? b->parent : b;
    std::array<Val, 4> in;
    std::size_t k = 0;
    for (const auto& [c, pos] : {std::pair{a, args[0]->pos}, std::pair{b_fields, args[1]->pos}}) {
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
    dr.key = fmt::format("mindR({},{},{},{}|{})", in[0].key, in[1].key, in[2].key, in[3].key,
                         b_masked ? b->mask.key : "");
    if (const Val* m = memo(dr.key)) {
        dr = *m;
    } else {
        dr.reg = newRegister();
        const std::array<int, 5> regs = {in[0].reg, in[1].reg, in[2].reg, in[3].reg,
                                         b_masked ? b->mask.reg : -1};
        const int out_reg = dr.reg;
        std::vector<int> inputs(regs.begin(), regs.begin() + 4);
        if (b_masked) inputs.push_back(regs[4]);
        emit(inputs, {out_reg}, [regs, out_reg](Frame& frame) {
            frame.set(out_reg, kernels::minDeltaR(frame.in(regs[0]), frame.in(regs[1]),
                                                  frame.in(regs[2]), frame.in(regs[3]),
                                                  regs[4] >= 0 ? &frame.in(regs[4]) : nullptr));
        });
        dr = remember(dr);
    }
    if (name == "mindR") return dr;
    return compare(">", dr, lowerValue(*args[2]), node.pos);
}

}  // namespace hepflow::frame::expr::detail
