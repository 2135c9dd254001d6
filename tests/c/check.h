/*
 * The assertion macros of the C tests: count passes and failures, print
 * each failure with the thread's dfx_last_error_message(), and end with
 * the "N passed, N failed" line test runners read.
 */
#ifndef DFX_TEST_CHECK_H
#define DFX_TEST_CHECK_H

#include <dfx.h>
#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (cond) {                                                                        \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__,        \
                    __LINE__, #cond, dfx_last_error_message());                            \
        }                                                                                  \
    } while (0)

#define CHECK_STATUS(expr, want)                                                           \
    do {                                                                                   \
        DfxStatus got_ = (expr);                                                           \
        if (got_ == (want)) {                                                              \
            passed++;                                                                      \
        } else {                                                                           \
            failed++;                                                                      \
            fprintf(stderr, "%s:%d: %s returned %s, want %s (%s)\n", __FILE__, __LINE__,   \
                    #expr, dfx_status_name(got_), dfx_status_name(want),                   \
                    dfx_last_error_message());                                             \
        }                                                                                  \
    } while (0)

/* The closing line; returns the process exit code. */
static inline int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
