// The function table of the expression language: one list of every function, its kind and (for
// math functions) its arity, so that lookups and suggestions cannot disagree.
#include "frame/expr/detail/functions.h"

#include <array>

namespace hepflow::frame::expr::detail {
namespace {

enum class Kind { Math, Reduction, Other };

struct Function {
    std::string_view name;
    Kind kind;
    std::size_t arity;  // Math only
};

constexpr std::array kFunctions = {
    Function{"abs", Kind::Math, 1},         Function{"sqrt", Kind::Math, 1},
    Function{"exp", Kind::Math, 1},         Function{"log", Kind::Math, 1},
    Function{"log10", Kind::Math, 1},       Function{"pow", Kind::Math, 2},
    Function{"sin", Kind::Math, 1},         Function{"cos", Kind::Math, 1},
    Function{"tan", Kind::Math, 1},         Function{"asin", Kind::Math, 1},
    Function{"acos", Kind::Math, 1},        Function{"atan", Kind::Math, 1},
    Function{"atan2", Kind::Math, 2},       Function{"sinh", Kind::Math, 1},
    Function{"cosh", Kind::Math, 1},        Function{"tanh", Kind::Math, 1},
    Function{"hypot", Kind::Math, 2},       Function{"floor", Kind::Math, 1},
    Function{"ceil", Kind::Math, 1},        Function{"round", Kind::Math, 1},
    Function{"isnan", Kind::Math, 1},       Function{"min", Kind::Other, 0},
    Function{"max", Kind::Other, 0},        Function{"deltaPhi", Kind::Math, 2},
    Function{"deltaR", Kind::Math, 4},      Function{"mt", Kind::Math, 4},
    Function{"sum", Kind::Reduction, 0},    Function{"count", Kind::Reduction, 0},
    Function{"any", Kind::Reduction, 0},    Function{"all", Kind::Reduction, 0},
    Function{"mean", Kind::Reduction, 0},   Function{"argmin", Kind::Reduction, 0},
    Function{"argmax", Kind::Reduction, 0}, Function{"argsort", Kind::Other, 0},
    Function{"sort", Kind::Other, 0},       Function{"concat", Kind::Other, 0},
    Function{"pairs", Kind::Other, 0},      Function{"triplets", Kind::Other, 0},
    Function{"mass", Kind::Other, 0},       Function{"pt", Kind::Other, 0},
    Function{"eta", Kind::Other, 0},        Function{"phi", Kind::Other, 0},
    Function{"mindR", Kind::Other, 0},      Function{"cleaned", Kind::Other, 0},
};

const Function* findFunction(std::string_view name) {
    for (const auto& f : kFunctions)
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace

std::optional<std::size_t> mathArity(std::string_view name) {
    const Function* f = findFunction(name);
    if (f == nullptr || f->kind != Kind::Math) return std::nullopt;
    return f->arity;
}

bool isReduction(std::string_view name) {
    const Function* f = findFunction(name);
    return f != nullptr && f->kind == Kind::Reduction;
}

const std::vector<std::string>& functionNames() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> names;
        for (const auto& f : kFunctions) names.emplace_back(f.name);
        return names;
    }();
    return kNames;
}

}  // namespace hepflow::frame::expr::detail
