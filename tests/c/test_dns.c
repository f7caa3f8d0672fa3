/*
 * A host name lookup is bounded by the session's deadline and interrupted by
 * etna_cancel, end to end through the C ABI. Run with tests/c/slow_dns.c
 * preloaded (LD_PRELOAD), which makes every lookup of a name under
 * ".slow-dns.test" take 3 s: without the bound, each call below would take
 * those 3 s.
 *
 * Build: cc -Wall -Wextra -Werror -std=c99 -Iinclude tests/c/test_dns.c \
 *           -Ltarget/release -letna_auth -lpthread -o test_dns
 * Run:   LD_PRELOAD=./slow_dns.so ./test_dns
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "etna_auth.h"


static const char *const SLOW_URL = "https://login.slow-dns.test/api";

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The lookup takes 3 s; the deadline is 300 ms. */
static void lookup_ends_at_the_deadline(void) {
    EtnaSession *s = etna_new(SLOW_URL, "key");
    CHECK(s != NULL);
    CHECK(etna_set_timeout_ms(s, 300) == ETNA_OK);
    double start = now_ms();
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_ERR_TIMEOUT);
    double took = now_ms() - start;
    printf("timeout during a 3 s lookup, deadline 300 ms: returned after %.0f ms\n", took);
    CHECK(took >= 250 && took < 1500);
    CHECK(strstr(etna_last_error(), "alice-pass") == NULL);
    etna_free(s);
}

struct canceller {
    EtnaSession *session;
    double cancelled_at;
};

static void *cancel_soon(void *arg) {
    struct canceller *c = arg;
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    c->cancelled_at = now_ms();
    etna_cancel(c->session);
    return NULL;
}

/* etna_cancel from another thread while the lookup runs. */
static void cancel_interrupts_a_lookup(void) {
    EtnaSession *s = etna_new(SLOW_URL, "key");
    CHECK(s != NULL);
    struct canceller c = {s, 0};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, cancel_soon, &c) == 0);
    int rc = etna_begin_auth(s, "alice", "alice-pass");
    double returned_at = now_ms();
    pthread_join(thread, NULL);
    CHECK(rc == ETNA_ERR_CANCELLED);
    printf("cancel during a 3 s lookup: returned %.2f ms after etna_cancel\n",
           returned_at - c.cancelled_at);
    CHECK(returned_at - c.cancelled_at < 1000);
    /* The session is still usable: the next call looks the name up again. */
    CHECK(etna_set_timeout_ms(s, 200) == ETNA_OK);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_ERR_TIMEOUT);
    etna_free(s);
}

int main(void) {
    lookup_ends_at_the_deadline();
    cancel_interrupts_a_lookup();
    return report();
}
