/*
 * The checks shared by the C test programs (one translation unit each):
 * CHECK(cond) counts a pass, or prints the failed condition with the
 * library's last error; report() prints the "N passed, M failed" line that
 * tests/run_all.sh adds up and returns main's exit code.
 */
#ifndef ETNA_TESTS_CHECK_H
#define ETNA_TESTS_CHECK_H

#include <stdio.h>

#include "etna_auth.h"

static int passed = 0;
static int failed = 0;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (cond) {                                                        \
            passed++;                                                      \
        } else {                                                           \
            failed++;                                                      \
            fprintf(stderr, "FAIL %s:%d: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, etna_last_error());                   \
        }                                                                  \
    } while (0)

static inline int report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
