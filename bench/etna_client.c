/*
 * etna_client: N two-factor logins (carol: password, then the emailed code)
 * through the etna-auth C ABI.
 *
 *   etna_client reuse|new BASE_URL APP_KEY N [CA_FILE]
 *
 * reuse: one EtnaSession for all N logins (what a long-running app does).
 * new:   etna_new() / etna_free() around every login (a new connection and,
 *        with CA_FILE, a new TLS configuration for every login).
 * Exits 0 only if every login ended with a token.
 */
#include "etna_auth.h"
#include "bench_common.h"

static EtnaSession *open_session(const char *url, const char *key, const char *ca) {
    EtnaSession *s = etna_new(url, key);
    if (s == NULL) {
        fprintf(stderr, "etna_client: etna_new: %s\n", etna_last_error());
        exit(2);
    }
    if (ca != NULL) {
        int rc = etna_set_ca_file(s, ca);
        if (rc != ETNA_OK) {
            fprintf(stderr, "etna_client: etna_set_ca_file: %s: %s\n", etna_status_str(rc), etna_last_error());
            exit(2);
        }
    }
    return s;
}

static long login(EtnaSession *s, long i) {
    int rc = etna_begin_auth(s, BENCH_USER, BENCH_PASSWORD);
    if (rc == ETNA_NEED_CODE) rc = etna_supply_code(s, BENCH_CODE);
    if (rc != ETNA_OK) {
        fprintf(stderr, "etna_client: login %ld: %s: %s\n", i, etna_status_str(rc), etna_last_error());
        exit(3);
    }
    char token[512];
    int n = etna_get_token(s, token, sizeof token);
    if (n <= 0 || (size_t)n >= sizeof token) {
        fprintf(stderr, "etna_client: login %ld: etna_get_token returned %d\n", i, n);
        exit(3);
    }
    return n;
}

int main(int argc, char **argv) {
    struct bench_args a = bench_parse_args("etna_client", argc, argv);
    long token_len = 0;
    double c0 = bench_cpu_s();
    if (a.reuse) {
        EtnaSession *s = open_session(a.url, a.key, a.ca);
        for (long i = 0; i < a.n; i++) token_len = login(s, i);
        etna_free(s);
    } else {
        for (long i = 0; i < a.n; i++) {
            EtnaSession *s = open_session(a.url, a.key, a.ca);
            token_len = login(s, i);
            etna_free(s);
        }
    }
    bench_report(a.reuse ? "etna-reuse" : "etna-new", a.n, bench_cpu_s() - c0, token_len);
    return 0;
}
