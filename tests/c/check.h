/*
 * The checks shared by the C test programs (one translation unit each):
 * CHECK(cond) counts a pass, or prints the failed condition with the
 * library's last error; check_cancel_before_a_call() is a check both the
 * Linux and the Windows API tests make; report() prints the "N passed, M failed" line that
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

/* A cancel with no call in flight stops the next call on `s`, which sends
 * nothing to the sandbox, and is used up by it: the call after that logs in. */
static inline void check_cancel_before_a_call(const EtnaSandbox *sbx, EtnaSession *s) {
    uint64_t before = etna_sandbox_request_count(sbx);
    CHECK(etna_cancel(s) == ETNA_OK);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_ERR_CANCELLED);
    CHECK(etna_sandbox_request_count(sbx) == before);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    CHECK(etna_sandbox_request_count(sbx) == before + 1);
}

static inline int report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
