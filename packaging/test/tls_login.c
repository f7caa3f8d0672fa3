/* https from C with the test PKI, for a build that runs where the host's
 * tools do not (packaging/test_aarch64.sh runs it under qemu-aarch64):
 *
 *   tls_login TLS_PORT WRONG_NAME_PORT CA_PEM OTHER_PEM
 *
 * TLS_PORT: tests/pki/tls_server.py on 127.0.0.1 with tests/pki/server.pem
 * (a certificate for "localhost" that CA_PEM signed), answering every request
 * with the token "tok-abc". WRONG_NAME_PORT: the same with
 * tests/pki/wrong-name.pem (CA_PEM signed it, for another name). OTHER_PEM: a
 * CA that signed neither. Prints "N passed, M failed"; exit code 0 when all
 * passed.
 *
 * Build: cc -std=c99 -Wall -Wextra -Werror -Itests/c tls_login.c $(pkg-config --cflags --libs etna_auth)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "etna_auth.h"

/* The token as a string (static buffer), or "" when there is none. */
static const char *token_of(const EtnaSession *s) {
    static char buf[512];
    buf[0] = '\0';
    int n = etna_get_token(s, buf, sizeof buf);
    if (n < 0 || (size_t)n >= sizeof buf) {
        buf[0] = '\0';
    }
    return buf;
}

/* A session on https://localhost:PORT/api trusting CA (NULL: the system's store). */
static EtnaSession *session(int port, const char *ca) {
    char url[128];
    snprintf(url, sizeof url, "https://localhost:%d/api", port);
    EtnaSession *s = etna_new(url, "k");
    CHECK(s != NULL);
    CHECK(etna_set_timeout_ms(s, 20000) == ETNA_OK);
    if (ca != NULL) {
        CHECK(etna_set_ca_file(s, ca) == ETNA_OK);
    }
    return s;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: tls_login TLS_PORT WRONG_NAME_PORT CA_PEM OTHER_PEM\n");
        return 64;
    }
    int port = atoi(argv[1]), wrong_name_port = atoi(argv[2]);
    const char *ca = argv[3], *other = argv[4];

    /* The test CA: the login succeeds, twice on the kept-alive connection. */
    EtnaSession *s = session(port, ca);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_OK);
    CHECK(strcmp(token_of(s), "tok-abc") == 0);
    CHECK(etna_end_login(s) == ETNA_OK);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_OK);
    etna_free(s);

    /* A CA that did not sign the server's certificate. */
    s = session(port, other);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_TLS);
    CHECK(strlen(etna_last_error()) > 0);
    etna_free(s);

    /* The right CA, the wrong name: that certificate is for another host. */
    s = session(wrong_name_port, ca);
    CHECK(etna_begin_auth(s, "u", "p") == ETNA_ERR_TLS);
    etna_free(s);

    return report();
}
