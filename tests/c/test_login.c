/*
 * etna_login() from C: the login policy behind one call, its callback
 * contract (steps, Reasons, the answer buffer), what only C can hand it
 * (NULL, bytes that are not UTF-8, an answer without its NUL), reads and
 * etna_cancel() from inside the callback, and etna_abandon_login(). The
 * portable cases (every language) are the "login-*" scenarios of
 * tests/scenarios/scenarios.json. Run under valgrind by tests/run_all.sh.
 */
#include <string.h>

#include "check.h"
#include "etna_auth.h"

#define MAX_ASKS 8

/* What the callback answers, in order, and what it was asked. */
struct script {
    const char *answers[MAX_ASKS]; /* NULL gives up */
    int asked;
    int steps[MAX_ASKS];
    char reasons[MAX_ASKS][64];
    size_t answer_size;
    EtnaSession *session;          /* for the calls made from inside */
    int cancel_inside;             /* etna_cancel() before answering */
    int token_length_inside;       /* etna_get_token() from inside */
    const char *raw;               /* bytes written as they are (no NUL added) */
    size_t raw_length;
};

static int answer(void *user_data, int step, const char *reason, char *buffer,
                  size_t buffer_size) {
    struct script *s = user_data;
    int i = s->asked++;
    if (i >= MAX_ASKS) {
        return -1;
    }
    s->steps[i] = step;
    strncpy(s->reasons[i], reason, sizeof s->reasons[i] - 1);
    s->answer_size = buffer_size;
    if (s->session != NULL) {
        s->token_length_inside = etna_get_token(s->session, NULL, 0);
        if (s->cancel_inside) {
            CHECK(etna_cancel(s->session) == ETNA_OK);
        }
    }
    if (s->raw != NULL) {
        memcpy(buffer, s->raw, s->raw_length);
        return 0;
    }
    if (s->answers[i] == NULL) {
        return 1;
    }
    strcpy(buffer, s->answers[i]);
    return 0;
}

static EtnaSession *session_for(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    return s;
}

static void two_factors(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    struct script sc = {.answers = {"0000", "4321", "654321"}};
    CHECK(etna_login(s, "dave", "dave-pass", answer, &sc) == ETNA_OK);
    CHECK(etna_last_status() == ETNA_OK && strcmp(etna_last_error(), "") == 0);
    CHECK(sc.asked == 3);
    CHECK(sc.steps[0] == ETNA_NEED_PIN && strcmp(sc.reasons[0], "Expecting security pin") == 0);
    CHECK(sc.steps[1] == ETNA_NEED_PIN && strcmp(sc.reasons[1], "Invalid pin") == 0);
    CHECK(sc.steps[2] == ETNA_NEED_CODE && strcmp(sc.reasons[2], "Expecting confirmation code") == 0);
    CHECK(sc.answer_size >= ETNA_ANSWER_BUFFER_SIZE);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    CHECK(etna_token_expires_at(s) > 0);
    etna_free(s);
}

static void single_factor_needs_no_callback(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    CHECK(etna_login(s, "alice", "alice-pass", NULL, NULL) == ETNA_OK);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    etna_free(s);
}

static void giving_up_ends_the_login(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    uint64_t before = etna_sandbox_request_count(sbx);
    struct script sc = {.answers = {"4321", NULL}};
    CHECK(etna_login(s, "dave", "dave-pass", answer, &sc) == ETNA_ERR_CANCELLED);
    CHECK(strcmp(etna_last_error(), "the login was abandoned: no verification code was given") == 0);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    CHECK(etna_supply_code(s, "654321") == ETNA_ERR_STATE);
    CHECK(etna_get_token(s, NULL, 0) == ETNA_ERR_STATE);
    /* A NULL callback when a factor is asked for: the same, naming the PIN. */
    CHECK(etna_login(s, "bob", "bob-pass", NULL, NULL) == ETNA_ERR_CANCELLED);
    CHECK(strcmp(etna_last_error(), "the login was abandoned: no PIN was given") == 0);
    CHECK(etna_supply_pin(s, "1234") == ETNA_ERR_STATE);
    /* The session stays usable. */
    struct script ok = {.answers = {"1234"}};
    CHECK(etna_login(s, "bob", "bob-pass", answer, &ok) == ETNA_OK);
    etna_free(s);
}

static void arguments(const EtnaSandbox *sbx) {
    CHECK(etna_login(NULL, "bob", "bob-pass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(strstr(etna_last_error(), "session") != NULL);
    EtnaSession *s = session_for(sbx);
    uint64_t before = etna_sandbox_request_count(sbx);
    /* A call that fails before it sends anything changes nothing: the
     * login in progress stays, and goes on. */
    CHECK(etna_begin_auth(s, "bob", "bob-pass") == ETNA_NEED_PIN);
    CHECK(etna_login(s, NULL, "bob-pass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(strstr(etna_last_error(), "username") != NULL);
    CHECK(etna_login(s, "bob", NULL, NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_login(s, "bob\xff", "bob-pass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(strstr(etna_last_error(), "UTF-8") != NULL);
    CHECK(etna_login(s, "bob", "bob\npass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_sandbox_request_count(sbx) - before == 1);
    CHECK(etna_supply_pin(s, "1234") == ETNA_OK);
    /* So does the token a login left. */
    CHECK(etna_login(s, NULL, "bob-pass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_login(s, "bob", "bob\npass", NULL, NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    etna_free(s);
}

static void answers_only_c_can_give(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    uint64_t before = etna_sandbox_request_count(sbx);
    struct script bad = {.answers = {NULL}};
    bad.raw = "12\xff" "4"; /* not UTF-8, NUL-terminated by the literal */
    bad.raw_length = 5;
    CHECK(etna_login(s, "bob", "bob-pass", answer, &bad) == ETNA_ERR_ARGUMENT);
    CHECK(strcmp(etna_last_error(), "the PIN written by the callback is not valid UTF-8") == 0);
    CHECK(etna_supply_pin(s, "1234") == ETNA_ERR_STATE);

    /* The whole buffer filled, no NUL anywhere: does not fit. */
    static char full[4096];
    memset(full, '7', sizeof full);
    struct script long_answer = {.answers = {NULL}};
    long_answer.raw = full;
    long_answer.raw_length = ETNA_ANSWER_BUFFER_SIZE;
    CHECK(etna_login(s, "bob", "bob-pass", answer, &long_answer) == ETNA_ERR_ARGUMENT);
    CHECK(strstr(etna_last_error(), "does not fit") != NULL);
    CHECK(strstr(etna_last_error(), "7777") == NULL);
    /* Nothing but the two first requests was sent. */
    CHECK(etna_sandbox_request_count(sbx) - before == 2);
    etna_free(s);
}

static void calls_from_inside_the_callback(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    /* A read-only call sees no token (a login is in progress) and does not deadlock. */
    struct script reads = {.answers = {"1234"}};
    reads.session = s;
    reads.token_length_inside = 12345;
    CHECK(etna_login(s, "bob", "bob-pass", answer, &reads) == ETNA_OK);
    CHECK(reads.token_length_inside == ETNA_ERR_STATE);

    /* etna_cancel() while the callback runs: its answer is never sent. */
    uint64_t before = etna_sandbox_request_count(sbx);
    struct script cancels = {.answers = {"1234"}};
    cancels.session = s;
    cancels.cancel_inside = 1;
    CHECK(etna_login(s, "bob", "bob-pass", answer, &cancels) == ETNA_ERR_CANCELLED);
    CHECK(etna_sandbox_request_count(sbx) - before == 1);
    CHECK(etna_supply_pin(s, "1234") == ETNA_ERR_STATE);
    /* The cancel was used up: the next login goes through. */
    struct script again = {.answers = {"1234"}};
    CHECK(etna_login(s, "bob", "bob-pass", answer, &again) == ETNA_OK);
    etna_free(s);
}

static void abandon(const EtnaSandbox *sbx) {
    EtnaSession *s = session_for(sbx);
    CHECK(etna_abandon_login(NULL) == ETNA_ERR_ARGUMENT);
    CHECK(etna_abandon_login(s) == ETNA_ERR_STATE);
    CHECK(etna_begin_auth(s, "dave", "dave-pass") == ETNA_NEED_PIN);
    CHECK(etna_supply_pin(s, "4321") == ETNA_NEED_CODE);
    CHECK(etna_abandon_login(s) == ETNA_ERR_CANCELLED);
    CHECK(strcmp(etna_last_error(), "the login was abandoned: no verification code was given") == 0);
    CHECK(etna_supply_code(s, "654321") == ETNA_ERR_STATE);
    /* A token is not a login waiting for a factor: it stays. */
    CHECK(etna_login(s, "alice", "alice-pass", NULL, NULL) == ETNA_OK);
    CHECK(etna_abandon_login(s) == ETNA_ERR_STATE);
    CHECK(etna_get_token(s, NULL, 0) > 0);
    etna_free(s);
}

int main(void) {
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    CHECK(sbx != NULL);
    if (sbx == NULL) {
        return report();
    }
    two_factors(sbx);
    single_factor_needs_no_callback(sbx);
    giving_up_ends_the_login(sbx);
    arguments(sbx);
    answers_only_c_can_give(sbx);
    calls_from_inside_the_callback(sbx);
    abandon(sbx);
    etna_sandbox_stop(sbx);
    return report();
}
