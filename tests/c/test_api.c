/*
 * The API additions of the first release from C: version macros and etna_version_number(),
 * etna_last_status() after NULL returns, a cancel with no call in flight,
 * and the log callback (levels, user_data, no secret in any line). Run
 * under valgrind by tests/run_all.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "etna_auth.h"

#define MAX_LINES 256

struct log {
    int levels[MAX_LINES];
    char *lines[MAX_LINES];
    int count;
};

static void on_log(void *user_data, int level, const char *line) {
    struct log *log = user_data;
    if (log->count < MAX_LINES) {
        size_t n = strlen(line);
        char *copy = malloc(n + 1);
        if (copy != NULL) {
            memcpy(copy, line, n + 1);
        }
        log->levels[log->count] = level;
        log->lines[log->count] = copy;
        log->count++;
    }
}

static int log_contains(const struct log *log, const char *text) {
    for (int i = 0; i < log->count; i++) {
        if (log->lines[i] != NULL && strstr(log->lines[i], text) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* Whether `secret` is in a line once the server's address (`url`) is taken
 * out: its port (43215, say) could hold a PIN's digits by chance. */
static int log_shows_secret(const struct log *log, const char *url, const char *secret) {
    size_t url_len = strlen(url);
    for (int i = 0; i < log->count; i++) {
        const char *line = log->lines[i];
        if (line == NULL) {
            continue;
        }
        const char *at = strstr(line, url);
        if (at == NULL) {
            if (strstr(line, secret) != NULL) {
                return 1;
            }
            continue;
        }
        /* Before and after the address, each on its own. */
        size_t before = (size_t)(at - line);
        char *head = malloc(before + 1);
        if (head == NULL) {
            return 1;
        }
        memcpy(head, line, before);
        head[before] = '\0';
        int found = strstr(head, secret) != NULL || strstr(at + url_len, secret) != NULL;
        free(head);
        if (found) {
            return 1;
        }
    }
    return 0;
}

static void log_free(struct log *log) {
    for (int i = 0; i < log->count; i++) {
        free(log->lines[i]);
    }
    log->count = 0;
}

static void versions(void) {
    CHECK(ETNA_AUTH_VERSION_NUMBER == ETNA_AUTH_VERSION_MAJOR * 10000 +
                                          ETNA_AUTH_VERSION_MINOR * 100 +
                                          ETNA_AUTH_VERSION_PATCH);
    CHECK(etna_version_number() == ETNA_AUTH_VERSION_NUMBER);
    CHECK(etna_version_number() / 10000 == ETNA_AUTH_VERSION_MAJOR);
}

static void last_status(const EtnaSandbox *sbx) {
    CHECK(etna_new(NULL, "k") == NULL);
    CHECK(etna_last_status() == ETNA_ERR_ARGUMENT);
    CHECK(etna_new("ftp://example.com/api", "k") == NULL);
    CHECK(etna_last_status() == ETNA_ERR_ARGUMENT);
    /* The sandbox's own port is taken: ETNA_ERR_IO, not an argument error. */
    const char *url = etna_sandbox_url(sbx);
    const char *port = strrchr(url, ':') + 1;
    char config[64];
    snprintf(config, sizeof config, "{\"port\": %d}", atoi(port));
    CHECK(etna_sandbox_start(config) == NULL);
    CHECK(etna_last_status() == ETNA_ERR_IO);
    CHECK(strstr(etna_last_error(), "cannot start the sandbox: cannot start") == NULL);
    EtnaSession *s = etna_new(url, etna_sandbox_app_key(sbx));
    CHECK(s != NULL && etna_last_status() == ETNA_OK);
    CHECK(etna_begin_auth(s, "bob", "bob-pass") == ETNA_NEED_PIN);
    CHECK(etna_last_status() == ETNA_NEED_PIN);
    CHECK(etna_supply_code(s, "1") == ETNA_ERR_STATE);
    CHECK(etna_last_status() == ETNA_ERR_STATE);
    etna_free(s);
}

static void cancel_before_the_call(const EtnaSandbox *sbx) {
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    check_cancel_before_a_call(sbx, s);
    etna_free(s);
}

static void log_callback(const EtnaSandbox *sbx) {
    static struct log log;
    EtnaSession *s = etna_new(etna_sandbox_url(sbx), etna_sandbox_app_key(sbx));
    CHECK(etna_set_log_callback(s, on_log, &log, 0) == ETNA_ERR_ARGUMENT);
    CHECK(etna_set_log_callback(s, on_log, &log, ETNA_LOG_DEBUG) == ETNA_OK);
    CHECK(etna_begin_auth(s, "dave", "dave-pass") == ETNA_NEED_PIN);
    CHECK(etna_supply_pin(s, "4321") == ETNA_NEED_CODE);
    CHECK(etna_supply_code(s, "000000") == ETNA_NEED_CODE);
    CHECK(etna_supply_code(s, "654321") == ETNA_OK);
    char token[512];
    CHECK(etna_get_token(s, token, sizeof token) > 0);
    CHECK(log.count > 10);
    int levels_ok = 1;
    for (int i = 0; i < log.count; i++) {
        levels_ok &= log.levels[i] == ETNA_LOG_INFO || log.levels[i] == ETNA_LOG_DEBUG;
    }
    CHECK(levels_ok);
    CHECK(log_contains(&log, "> Password: ***"));
    CHECK(log_contains(&log, "Invalid verification code"));
    CHECK(!log_contains(&log, "dave-pass"));
    CHECK(!log_shows_secret(&log, etna_sandbox_url(sbx), "4321"));
    CHECK(!log_shows_secret(&log, etna_sandbox_url(sbx), "654321"));
    CHECK(!log_shows_secret(&log, etna_sandbox_url(sbx), "000000"));
    CHECK(!log_contains(&log, token));
    CHECK(!log_contains(&log, etna_sandbox_app_key(sbx)));
    /* Off: no more lines. */
    int count = log.count;
    CHECK(etna_set_log_callback(s, NULL, NULL, 0) == ETNA_OK);
    CHECK(etna_begin_auth(s, "alice", "alice-pass") == ETNA_OK);
    CHECK(log.count == count);
    log_free(&log);
    etna_free(s);
}

int main(void) {
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    if (sbx == NULL) {
        fprintf(stderr, "cannot start the sandbox: %s\n", etna_last_error());
        return 1;
    }
    versions();
    last_status(sbx);
    cancel_before_the_call(sbx);
    log_callback(sbx);
    etna_sandbox_stop(sbx);
    return report();
}
