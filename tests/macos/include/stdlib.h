/* Stand-in (tests/macos_check.sh): declarations as in the macOS SDK. */
#pragma once
#include <stddef.h>
void abort(void) __attribute__((noreturn));
void *malloc(size_t);
void free(void *);
