/*
 * The C ABI from C: includes the generated header, links libetna_auth, and
 * runs the single-factor and both two-factor flows against the embedded
 * sandbox, plus the argument and state rules. Run under valgrind by
 * tests/run_all.sh (zero leaks, zero errors).
 *
 * Build: cc -Wall -Wextra -Werror -std=c99 -Iinclude tests/c/test_flows.c \
 *           -Ltarget/release -letna_auth -o test_flows
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "etna_auth.h"


/* Copies the token out the documented way: ask for the length, allocate. */
static char *get_token(const EtnaSession *s) {
    int n = etna_get_token(s, NULL, 0);
    if (n < 0) {
        return NULL;
    }
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL) {
        return NULL;
    }
    if (etna_get_token(s, buf, (size_t)n + 1) != n) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void single_factor(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(s != NULL);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    CHECK(strcmp(etna_last_error(), "") == 0);
    char *token = get_token(s);
    CHECK(token != NULL && strlen(token) > 0);
    /* A buffer too small for token + NUL is left untouched. */
    char small[4] = {'#', '#', '#', '#'};
    CHECK(etna_get_token(s, small, sizeof small) == (int)strlen(token));
    CHECK(small[0] == '#' && small[3] == '#');
    long long now = (long long)time(NULL);
    long long expires = (long long)etna_token_expires_at(s);
    CHECK(expires >= now + 86400 - 5 && expires <= now + 86400 + 5);
    free(token);
    etna_free(s);
}

static void pin_flow(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(etna_begin_auth(s, "bob", "bob-pass") == ETNA_NEED_PIN);
    CHECK(etna_supply_code(s, "123456") == ETNA_ERR_STATE);
    CHECK(etna_supply_pin(s, "9999") == ETNA_NEED_PIN);
    CHECK(strcmp(etna_last_error(), "Invalid pin") == 0);
    CHECK(etna_supply_pin(s, "1234") == ETNA_OK);
    char *token = get_token(s);
    CHECK(token != NULL);
    free(token);
    etna_free(s);
}

static void code_flow(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(etna_set_timeout_ms(s, 5000) == ETNA_OK);
    CHECK(etna_begin_auth(s, "carol", "carol-pass") == ETNA_NEED_CODE);
    CHECK(etna_supply_code(s, "111111") == ETNA_NEED_CODE);
    CHECK(strcmp(etna_last_error(), "Invalid verification code") == 0);
    CHECK(etna_supply_code(s, "123456") == ETNA_OK);
    etna_free(s);
}

static void pin_then_code(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    uint64_t requests = etna_sandbox_request_count(sbx);
    uint64_t connections = etna_sandbox_connection_count(sbx);
    CHECK(etna_begin_auth(s, "dave", "dave-pass") == ETNA_NEED_PIN);
    CHECK(etna_supply_pin(s, "4321") == ETNA_NEED_CODE);
    CHECK(etna_supply_code(s, "654321") == ETNA_OK);
    CHECK(etna_sandbox_request_count(sbx) - requests == 3);
    CHECK(etna_sandbox_connection_count(sbx) - connections == 1);
    etna_free(s);
}

/* The user gives up half-way: etna_end_login forgets the login, then the
 * same session logs in again. */
static void end_login(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(etna_begin_auth(s, "dave", "dave-pass") == ETNA_NEED_PIN);
    CHECK(etna_end_login(s) == ETNA_OK);
    uint64_t requests = etna_sandbox_request_count(sbx);
    CHECK(etna_supply_pin(s, "4321") == ETNA_ERR_STATE);
    CHECK(etna_sandbox_request_count(sbx) == requests);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_get_token(s, NULL, 0) == ETNA_ERR_STATE);
    CHECK(etna_token_expires_at(s) == 0);
    CHECK(etna_end_login(NULL) == ETNA_ERR_ARGUMENT);
    etna_free(s);
}

static void errors(const EtnaSandbox *sbx) {
    CHECK(etna_new(NULL, "k") == NULL);
    CHECK(strlen(etna_last_error()) > 0);
    CHECK(etna_new("http://example.com/api", "k") == NULL);
    CHECK(etna_begin_auth(NULL, "a", "b") == ETNA_ERR_ARGUMENT);

    EtnaSession *s = etna_new(etna_sandbox_url(sbx), "wrong-key");
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_ERR_APP_KEY);
    etna_free(s);

    s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(etna_begin_auth(s, "alice", "nope") == ETNA_ERR_CREDENTIALS);
    CHECK(strstr(etna_last_error(), "nope") == NULL);
    CHECK(etna_begin_auth(s, "alice\r\nX: y", "p") == ETNA_ERR_ARGUMENT);
    CHECK(etna_get_token(s, NULL, 0) == ETNA_ERR_STATE);
    CHECK(etna_token_expires_at(s) == 0);
    CHECK(etna_set_timeout_ms(s, 0) == ETNA_ERR_ARGUMENT);
    CHECK(etna_set_ca_file(s, "/nonexistent.pem") == ETNA_ERR_IO);
    etna_free(s);
    etna_free(NULL);

    CHECK(strncmp(etna_status_str(ETNA_ERR_TIMEOUT), "ETNA_ERR_TIMEOUT", 16) == 0);
    CHECK(strcmp(etna_version(), ETNA_AUTH_VERSION) == 0);
}

int main(void) {
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    if (sbx == NULL) {
        fprintf(stderr, "cannot start the sandbox: %s\n", etna_last_error());
        return 1;
    }
    single_factor(sbx);
    pin_flow(sbx);
    code_flow(sbx);
    pin_then_code(sbx);
    end_login(sbx);
    errors(sbx);
    etna_sandbox_stop(sbx);
    etna_sandbox_stop(NULL);

    return report();
}
