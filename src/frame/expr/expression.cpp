// Placeholder until the compiler lands.
#include "frame/expr/expression.h"
