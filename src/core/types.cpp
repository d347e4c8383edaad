// SPDX-License-Identifier: MIT
// Home of the moc output for the namespace-level enums in types.h.
#include <taskconductor/types.h>
