/* Stand-in (tests/macos_check.sh): type-checking only. */
#pragma once
#define assert(x) ((void)0)
#ifndef __cplusplus
#define static_assert _Static_assert
#endif
