/*
 * Calls on a session made while its own login runs (issue 27): from inside
 * its ask callback (etna_login's factors, etna_acquire_token's password)
 * and from inside its log callback, every call that changes the session
 * fails at once with ETNA_ERR_STATE, names the function and the callback,
 * sends nothing, changes nothing, and the login completes afterwards;
 * etna_free() from inside frees nothing. From another thread, a call made
 * while the login waits for its ask callback, or already waiting when the
 * callback starts, fails at once too; one made while only an exchange is in
 * flight waits for it, as before. The read-only calls work from inside.
 * Every wait for another thread is bounded (the library of before
 * deadlocked here: a check fails instead of the test hanging, except for
 * a call from inside a callback on the same thread, which could only hang).
 * POSIX threads. Run under valgrind by tests/run_all.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "etna_auth.h"

/* How long a thread may take to come back from a call that must not wait. */
#define BOUND_S 5

/* Whether `rc` and the last error are the refusal of `name` made from
 * inside this session's `where` ("ask" or "log") callback. */
static int refused(int rc, const char *name, const char *where) {
    char want[160];
    snprintf(want, sizeof want, "%s: called from inside this session's %s callback: nothing was done",
             name, where);
    int ok = rc == ETNA_ERR_STATE && etna_last_status() == ETNA_ERR_STATE &&
             strncmp(etna_last_error(), want, strlen(want)) == 0;
    if (!ok) {
        fprintf(stderr, "  %s from the %s callback: %d, \"%s\"\n", name, where, rc, etna_last_error());
    }
    return ok;
}

/* What a callback does with the session it runs for. */
struct inside {
    EtnaSession *s;
    const EtnaSandbox *sbx;
    const char *store;   /* a token file, for the store calls */
    const char *where;   /* "ask" or "log" */
    int tried;           /* the calls were made (once) */
    int asked;
    int logged;
};

/* Every call that changes the session, made from inside its callback:
 * each refused, and nothing sent. */
static void every_changing_call(struct inside *in) {
    EtnaSession *s = in->s;
    const char *w = in->where;
    uint64_t before = etna_sandbox_request_count(in->sbx);
    CHECK(refused(etna_end_login(s), "etna_end_login", w));
    CHECK(refused(etna_abandon_login(s), "etna_abandon_login", w));
    CHECK(refused(etna_set_timeout_ms(s, 1), "etna_set_timeout_ms", w));
    CHECK(refused(etna_set_lock_timeout_ms(s, 1), "etna_set_lock_timeout_ms", w));
    /* Applied, these would break the exchanges still to come. */
    CHECK(refused(etna_set_proxy(s, "http://127.0.0.1:9"), "etna_set_proxy", w));
    CHECK(refused(etna_set_ca_file(s, "/nonexistent/ca.pem"), "etna_set_ca_file", w));
    CHECK(refused(etna_set_log_callback(s, NULL, NULL, 0), "etna_set_log_callback", w));
    CHECK(refused(etna_begin_auth(s, "alice", "alice-pass"), "etna_begin_auth", w));
    CHECK(refused(etna_supply_pin(s, "1234"), "etna_supply_pin", w));
    CHECK(refused(etna_supply_code(s, "123456"), "etna_supply_code", w));
    CHECK(refused(etna_login(s, "alice", "alice-pass", NULL, NULL), "etna_login", w));
    CHECK(refused(etna_acquire_token(s, in->store, "alice", "alice-pass", 60, NULL, NULL),
                  "etna_acquire_token", w));
    CHECK(refused(etna_load_token(s, in->store, "alice", 0), "etna_load_token", w));
    /* Freed here, the session would be used after free when we return. */
    etna_free(s);
    CHECK(refused(etna_last_status(), "etna_free", w));
    CHECK(strstr(etna_last_error(), "the session was not freed") != NULL);
    CHECK(etna_sandbox_request_count(in->sbx) == before);
    /* The read-only calls work. */
    CHECK(etna_cancel(NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_status_str(ETNA_ERR_STATE) != NULL && etna_version() != NULL);
    in->tried = 1;
}

static int answer_with(const char *value, char *answer, size_t size) {
    if (strlen(value) >= size) {
        return 1;
    }
    strcpy(answer, value);
    return 0;
}

/* The sandbox's factors (bob's PIN, carol's code and password). */
static const char *factor_for(int step) {
    return step == ETNA_NEED_PIN ? "1234" : step == ETNA_NEED_CODE ? "123456" : "carol-pass";
}

static int ask_and_try_everything(void *user_data, int step, const char *reason, char *answer,
                                  size_t size) {
    struct inside *in = user_data;
    (void)reason;
    in->asked++;
    if (!in->tried) {
        /* A login is in progress: no token to read (one asked for the
         * password still holds what it had). */
        if (step != ETNA_NEED_PASSWORD) {
            CHECK(etna_get_token(in->s, NULL, 0) == ETNA_ERR_STATE);
            CHECK(etna_token_expires_at(in->s) == 0);
        }
        every_changing_call(in);
    }
    return answer_with(factor_for(step), answer, size);
}

static void log_and_try_everything(void *user_data, int level, const char *line) {
    struct inside *in = user_data;
    (void)level;
    (void)line;
    in->logged++;
    if (!in->tried) {
        every_changing_call(in);
    }
}

static void from_the_ask_callback(const EtnaSandbox *sbx, const char *store) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    CHECK(etna_login(s, "alice", "alice-pass", NULL, NULL) == ETNA_OK);
    uint64_t before = etna_sandbox_request_count(sbx);
    struct inside in = {.s = s, .sbx = sbx, .store = store, .where = "ask"};
    /* The login goes on after the callback: the PIN is sent, bob is in. */
    CHECK(etna_login(s, "bob", "bob-pass", ask_and_try_everything, &in) == ETNA_OK);
    CHECK(etna_last_status() == ETNA_OK && strcmp(etna_last_error(), "") == 0);
    CHECK(in.tried && in.asked == 1);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);

    /* etna_acquire_token asking for the password: the same. */
    struct inside again = {.s = s, .sbx = sbx, .store = store, .where = "ask"};
    before = etna_sandbox_request_count(sbx);
    CHECK(etna_acquire_token(s, store, "carol", NULL, 60, ask_and_try_everything, &again) == ETNA_OK);
    CHECK(again.tried && again.asked == 2); /* the password, then the code */
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    /* Outside any callback, the same calls work again. */
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_get_token(s, NULL, 0) == ETNA_ERR_STATE);
    etna_free(s);
}

static void from_the_log_callback(const EtnaSandbox *sbx, const char *store) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    struct inside in = {.s = s, .sbx = sbx, .store = store, .where = "log"};
    CHECK(etna_set_log_callback(s, log_and_try_everything, &in, ETNA_LOG_INFO) == ETNA_OK);
    uint64_t before = etna_sandbox_request_count(sbx);
    struct inside answers = {.s = s, .sbx = sbx, .tried = 1};
    CHECK(etna_login(s, "bob", "bob-pass", ask_and_try_everything, &answers) == ETNA_OK);
    CHECK(in.tried);
    /* The log stayed on (etna_set_log_callback was refused). */
    int logged = in.logged;
    CHECK(logged >= 3);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    CHECK(etna_set_log_callback(s, NULL, NULL, 0) == ETNA_OK);
    CHECK(etna_login(s, "alice", "alice-pass", NULL, NULL) == ETNA_OK);
    CHECK(in.logged == logged);
    etna_free(s);
}

/* A call made on another thread, with the time it took and its message. */
struct other {
    EtnaSession *s;
    int which; /* 0: etna_end_login, 1: etna_set_timeout_ms */
    int rc;
    char message[512];
    double seconds;
    int done;
    int started; /* by log_starts_a_waiter */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
};

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *other_thread(void *arg) {
    struct other *o = arg;
    double started = now_s();
    int rc = o->which == 0 ? etna_end_login(o->s) : etna_set_timeout_ms(o->s, 5000);
    pthread_mutex_lock(&o->lock);
    o->rc = rc;
    snprintf(o->message, sizeof o->message, "%s", etna_last_error());
    o->seconds = now_s() - started;
    o->done = 1;
    pthread_cond_broadcast(&o->changed);
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

static void other_start(struct other *o, EtnaSession *s, int which) {
    memset(o, 0, sizeof *o);
    o->s = s;
    o->which = which;
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->changed, NULL);
    CHECK(pthread_create(&o->thread, NULL, other_thread, o) == 0);
}

/* Waits at most BOUND_S for the other thread's call to return. */
static int other_returned(struct other *o) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += BOUND_S;
    pthread_mutex_lock(&o->lock);
    int waited = 0;
    while (!o->done && waited == 0) {
        waited = pthread_cond_timedwait(&o->changed, &o->lock, &until);
    }
    int done = o->done;
    pthread_mutex_unlock(&o->lock);
    return done;
}

static void other_join(struct other *o) {
    pthread_join(o->thread, NULL);
    pthread_mutex_destroy(&o->lock);
    pthread_cond_destroy(&o->changed);
}

static int refused_while_asking(const struct other *o, const char *name) {
    char want[160];
    snprintf(want, sizeof want, "%s: this session's login is waiting for its ask callback", name);
    int ok = o->rc == ETNA_ERR_STATE && strncmp(o->message, want, strlen(want)) == 0;
    if (!ok) {
        fprintf(stderr, "  %s from another thread: %d, \"%s\"\n", name, o->rc, o->message);
    }
    return ok;
}

/* The ask callback starts a thread that calls etna_end_login(). */
struct cross {
    EtnaSession *s;
    struct other end_login;
    struct other *waiting; /* started by the log callback, if any */
    int returned_in_time;
};

static int ask_while_another_thread_calls(void *user_data, int step, const char *reason,
                                          char *answer, size_t size) {
    struct cross *c = user_data;
    (void)reason;
    if (c->waiting != NULL) {
        /* Already waiting for the session when the callback started. */
        c->returned_in_time = other_returned(c->waiting);
    } else {
        other_start(&c->end_login, c->s, 0);
        c->returned_in_time = other_returned(&c->end_login);
    }
    return answer_with(factor_for(step), answer, size);
}

/* The log callback's first line starts a thread whose call then waits for
 * the exchange in flight (the callback gives it time to start waiting). */
static void log_starts_a_waiter(void *user_data, int level, const char *line) {
    struct other *o = user_data;
    (void)level;
    (void)line;
    if (o->started) {
        return;
    }
    other_start(o, o->s, 1);
    o->started = 1;
    struct timespec pause = {0, 200 * 1000000L};
    nanosleep(&pause, NULL);
}

static void from_another_thread(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);

    /* While the callback waits for its user, another thread's call fails
     * at once instead of waiting for ever; the login is not ended. */
    struct cross c = {.s = s};
    CHECK(etna_login(s, "bob", "bob-pass", ask_while_another_thread_calls, &c) == ETNA_OK);
    CHECK(c.returned_in_time);
    other_join(&c.end_login);
    CHECK(refused_while_asking(&c.end_login, "etna_end_login"));
    CHECK(c.end_login.seconds < BOUND_S);
    CHECK(etna_get_token(s, NULL, 0) > 0);

    /* A call already waiting for the exchange in flight when the callback
     * starts fails then. */
    struct other waiter = {.s = s};
    CHECK(etna_set_log_callback(s, log_starts_a_waiter, &waiter, ETNA_LOG_INFO) == ETNA_OK);
    struct cross w = {.s = s, .waiting = &waiter};
    CHECK(etna_login(s, "bob", "bob-pass", ask_while_another_thread_calls, &w) == ETNA_OK);
    CHECK(w.returned_in_time);
    other_join(&waiter);
    CHECK(refused_while_asking(&waiter, "etna_set_timeout_ms"));

    /* With no callback to wait for, a call from another thread waits for
     * the call in flight and then runs, as ever. */
    struct other after = {.s = s};
    CHECK(etna_set_log_callback(s, log_starts_a_waiter, &after, ETNA_LOG_INFO) == ETNA_OK);
    CHECK(etna_login(s, "alice", "alice-pass", NULL, NULL) == ETNA_OK);
    CHECK(other_returned(&after));
    other_join(&after);
    CHECK(after.rc == ETNA_OK);
    CHECK(after.seconds >= 0.1);
    CHECK(etna_set_log_callback(s, NULL, NULL, 0) == ETNA_OK);
    etna_free(s);
}

int main(void) {
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    CHECK(sbx != NULL);
    if (sbx == NULL) {
        return report();
    }
    char dir[] = "/tmp/etna-reentry-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char store[64];
    snprintf(store, sizeof store, "%s/tokens.json", dir);
    from_the_ask_callback(sbx, store);
    from_the_log_callback(sbx, store);
    from_another_thread(sbx);
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK(system(rm) == 0);
    etna_sandbox_stop(sbx);
    return report();
}
