/*
 * 1,000 logins through the C ABI that end with every status the library
 * can give, for valgrind (memcheck: 0 errors, 0 bytes definitely or
 * indirectly lost) and AddressSanitizer. Run by tests/hardening.sh.
 *
 * The sandbox gives OK / NEED_PIN / NEED_CODE / APP_KEY / CREDENTIALS /
 * REJECTED / STATE; small servers in this file give PROTOCOL (garbage),
 * SERVER (503), TIMEOUT (a listener that never answers), TLS (https to the
 * garbage server) and NETWORK (a closed port); the arguments give ARGUMENT
 * (NULLs, control characters, bad base URLs, NULL from etna_new), the token
 * cache IO / NO_TOKEN, and etna_set_ca_file IO.
 *
 * Build: cc -Wall -Wextra -Werror -std=c99 -Iinclude tests/c/loop_errors.c \
 *           -Ltarget/release -letna_auth -lpthread -o loop_errors
 * Usage: loop_errors [LOGINS]   (default 1000)
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "etna_auth.h"

/* How many times each status was seen: index status + 100. */
static int seen[120];

/* Checks the status and that the last error is one line, then counts it. */
static void expect(int rc, int want, const char *what) {
    if (rc != want) {
        failed++;
        fprintf(stderr, "FAIL %s: got %d (%s), expected %d: %s\n", what, rc,
                etna_status_str(rc), want, etna_last_error());
        return;
    }
    const char *msg = etna_last_error();
    if (msg == NULL || strchr(msg, '\n') != NULL || strchr(msg, '\r') != NULL) {
        failed++;
        fprintf(stderr, "FAIL %s: last error not one line\n", what);
        return;
    }
    if (want < 0 && msg[0] == '\0') {
        failed++;
        fprintf(stderr, "FAIL %s: no message for %d\n", what, want);
        return;
    }
    passed++;
    if (want + 100 >= 0 && want + 100 < 120) {
        seen[want + 100]++;
    }
}

/* ---- small hostile servers ---------------------------------------------- */

static int listen_on_loopback(int backlog, int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(fd, backlog) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

static int garbage_fd = -1, error_fd = -1, stop_pipe[2] = {-1, -1};

/* Reads until the end of a request head (or a TLS ClientHello: anything). */
static void read_some(int fd) {
    char buf[4096];
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 2000) > 0) {
        ssize_t n = read(fd, buf, sizeof buf);
        (void)n;
    }
}

static void write_all(int fd, const char *text) {
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n <= 0) {
            return;
        }
        text += n;
        len -= (size_t)n;
    }
}

/* One thread serves both the garbage and the 503 listeners, one request per
 * connection, until the stop pipe is written. */
static void *serve(void *unused) {
    (void)unused;
    for (;;) {
        struct pollfd fds[3] = {
            {garbage_fd, POLLIN, 0}, {error_fd, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
        if (poll(fds, 3, -1) < 0) {
            continue;
        }
        if (fds[2].revents) {
            return NULL;
        }
        for (int i = 0; i < 2; i++) {
            if (!fds[i].revents) {
                continue;
            }
            int c = accept(fds[i].fd, NULL, NULL);
            if (c < 0) {
                continue;
            }
            read_some(c);
            if (i == 0) {
                write_all(c, "NOT HTTP AT ALL\r\n\r\n");
            } else {
                write_all(c,
                          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n"
                          "Connection: close\r\n\r\nbusy");
            }
            close(c);
        }
    }
}

/* ---- the loop ------------------------------------------------------------- */

static void flow_ok(const char *url, const char *key, int i) {
    EtnaSession *s = etna_new(url, key);
    CHECK(s != NULL);
    switch (i % 3) {
    case 0:
        expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_OK, "alice");
        break;
    case 1:
        expect(etna_begin_auth(s, "bob", "bob-pass"), ETNA_NEED_PIN, "bob");
        expect(etna_supply_pin(s, "0000"), ETNA_NEED_PIN, "bob wrong pin");
        expect(etna_supply_pin(s, "1234"), ETNA_OK, "bob pin");
        break;
    default:
        expect(etna_begin_auth(s, "dave", "dave-pass"), ETNA_NEED_PIN, "dave");
        expect(etna_supply_pin(s, "4321"), ETNA_NEED_CODE, "dave pin");
        expect(etna_supply_code(s, "654321"), ETNA_OK, "dave code");
        break;
    }
    int n = etna_get_token(s, NULL, 0);
    CHECK(n > 0);
    if (n > 0) {
        char *buf = malloc((size_t)n + 1);
        CHECK(buf != NULL && etna_get_token(s, buf, (size_t)n + 1) == n);
        free(buf);
    }
    etna_free(s);
}

int main(int argc, char **argv) {
    int logins = argc > 1 ? atoi(argv[1]) : 1000;
    EtnaSandbox *sbx = etna_sandbox_start(NULL);
    EtnaSandbox *gone = etna_sandbox_start(NULL);
    if (sbx == NULL || gone == NULL) {
        fprintf(stderr, "cannot start the sandbox: %s\n", etna_last_error());
        return 1;
    }
    const char *url = etna_sandbox_url(sbx);
    const char *key = etna_sandbox_app_key(sbx);
    /* A port where nothing listens any more. */
    char closed_url[128];
    snprintf(closed_url, sizeof closed_url, "%s", etna_sandbox_url(gone));
    etna_sandbox_stop(gone);

    int garbage_port = 0, error_port = 0, silent_port = 0;
    garbage_fd = listen_on_loopback(64, &garbage_port);
    error_fd = listen_on_loopback(64, &error_port);
    /* Never accepted: connects complete in the backlog, nothing answers. */
    int silent_fd = listen_on_loopback(1024, &silent_port);
    if (garbage_fd < 0 || error_fd < 0 || silent_fd < 0 || pipe(stop_pipe) != 0) {
        fprintf(stderr, "cannot listen\n");
        return 1;
    }
    pthread_t server;
    if (pthread_create(&server, NULL, serve, NULL) != 0) {
        fprintf(stderr, "cannot start the server thread\n");
        return 1;
    }
    char garbage_url[64], error_url[64], silent_url[64], tls_url[64];
    snprintf(garbage_url, sizeof garbage_url, "http://127.0.0.1:%d/api", garbage_port);
    snprintf(error_url, sizeof error_url, "http://127.0.0.1:%d/api", error_port);
    snprintf(silent_url, sizeof silent_url, "http://127.0.0.1:%d/api", silent_port);
    snprintf(tls_url, sizeof tls_url, "https://127.0.0.1:%d/api", garbage_port);

    char cache[64];
    snprintf(cache, sizeof cache, "/tmp/etna-loop-errors-%d.json", (int)getpid());

    /* One session reused across many logins, as an application would. */
    EtnaSession *shared = etna_new(url, key);
    CHECK(shared != NULL);

    for (int i = 0; i < logins; i++) {
        EtnaSession *s = NULL;
        switch (i % 16) {
        case 0:
            flow_ok(url, key, i / 16);
            break;
        case 1: /* ETNA_ERR_APP_KEY */
            s = etna_new(url, "wrong-key");
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_APP_KEY, "app key");
            break;
        case 2: /* ETNA_ERR_CREDENTIALS, on the shared session */
            expect(etna_begin_auth(shared, "alice", "nope"), ETNA_ERR_CREDENTIALS,
                   "credentials");
            break;
        case 3: /* ETNA_ERR_REJECTED after max_attempts wrong codes */
            s = etna_new(url, key);
            expect(etna_begin_auth(s, "carol", "carol-pass"), ETNA_NEED_CODE, "carol");
            expect(etna_supply_code(s, "1"), ETNA_NEED_CODE, "wrong code 1");
            expect(etna_supply_code(s, "2"), ETNA_NEED_CODE, "wrong code 2");
            expect(etna_supply_code(s, "3"), ETNA_ERR_REJECTED, "lockout");
            expect(etna_supply_code(s, "123456"), ETNA_ERR_STATE, "after lockout");
            break;
        case 4: /* ETNA_ERR_STATE */
            expect(etna_supply_pin(shared, "1234"), ETNA_ERR_STATE, "state pin");
            expect(etna_get_token(shared, NULL, 0), ETNA_ERR_STATE, "state token");
            break;
        case 5: /* ETNA_ERR_ARGUMENT: NULLs and control characters */
            expect(etna_begin_auth(shared, NULL, "x"), ETNA_ERR_ARGUMENT, "NULL user");
            expect(etna_begin_auth(shared, "alice", "a\r\nb"), ETNA_ERR_ARGUMENT, "CR LF");
            expect(etna_begin_auth(NULL, "alice", "x"), ETNA_ERR_ARGUMENT, "NULL session");
            expect(etna_set_timeout_ms(shared, 0), ETNA_ERR_ARGUMENT, "timeout 0");
            expect(etna_set_proxy(shared, "ftp://proxy"), ETNA_ERR_ARGUMENT, "bad proxy");
            break;
        case 6: /* NULL from etna_new: bad base URLs and keys */
            CHECK(etna_new("http://example.com/api", key) == NULL);
            CHECK(etna_new("https://user:pw@h.example/api", key) == NULL);
            CHECK(etna_new("not a url", key) == NULL);
            CHECK(etna_new(url, "") == NULL);
            CHECK(etna_new(url, "key\n") == NULL);
            CHECK(etna_new(NULL, NULL) == NULL);
            CHECK(strlen(etna_last_error()) > 0);
            break;
        case 7: /* ETNA_ERR_NETWORK: a closed port */
            s = etna_new(closed_url, key);
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_NETWORK, "closed port");
            break;
        case 8: /* ETNA_ERR_PROTOCOL: not HTTP */
            s = etna_new(garbage_url, key);
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_PROTOCOL, "garbage");
            break;
        case 9: /* ETNA_ERR_SERVER */
            s = etna_new(error_url, key);
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_SERVER, "503");
            break;
        case 10: /* ETNA_ERR_TIMEOUT: nobody answers */
            s = etna_new(silent_url, key);
            expect(etna_set_timeout_ms(s, 30), ETNA_OK, "timeout");
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_TIMEOUT, "silent");
            break;
        case 11: /* ETNA_ERR_TLS: https to a server that answers garbage */
            s = etna_new(tls_url, key);
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_ERR_TLS, "tls");
            break;
        case 12: /* ETNA_ERR_IO: CA file */
            expect(etna_set_ca_file(shared, "/nonexistent/ca.pem"), ETNA_ERR_IO, "ca file");
            break;
        case 13: /* ETNA_ERR_NO_TOKEN and ETNA_ERR_IO with the token cache */
            expect(etna_load_token(shared, cache, "alice", 60), ETNA_ERR_NO_TOKEN, "no token");
            expect(etna_save_token(shared, "/nonexistent/dir/cache.json"), ETNA_ERR_STATE,
                   "save without token");
            break;
        case 14: /* a successful login saved and loaded, then forgotten */
            s = etna_new(url, key);
            expect(etna_begin_auth(s, "alice", "alice-pass"), ETNA_OK, "alice for cache");
            expect(etna_save_token(s, cache), ETNA_OK, "save");
            expect(etna_save_token(s, "/nonexistent/dir/cache.json"), ETNA_ERR_IO, "save io");
            expect(etna_load_token(s, cache, "alice", 60), ETNA_OK, "load");
            expect(etna_forget_token(cache, url, "alice"), ETNA_OK, "forget");
            break;
        default: /* a cancel with nothing in flight stops the next call, once */
            expect(etna_cancel(shared), ETNA_OK, "cancel idle");
            expect(etna_begin_auth(shared, "alice", "alice-pass"), ETNA_ERR_CANCELLED,
                   "cancelled before sending");
            expect(etna_begin_auth(shared, "alice", "alice-pass"), ETNA_OK, "shared ok");
            CHECK(etna_token_expires_at(shared) > 0);
            break;
        }
        etna_free(s);
    }
    etna_free(shared);
    remove(cache);

    write_all(stop_pipe[1], "x");
    pthread_join(server, NULL);
    close(garbage_fd);
    close(error_fd);
    close(silent_fd);
    close(stop_pipe[0]);
    close(stop_pipe[1]);
    etna_sandbox_stop(sbx);

    int kinds = 0;
    for (int k = 0; k < 120; k++) {
        if (seen[k] > 0) {
            kinds++;
        }
    }
    printf("loop_errors: %d logins, %d distinct statuses:", logins, kinds);
    for (int k = 0; k < 120; k++) {
        if (seen[k] > 0) {
            printf(" %d x%d", k - 100, seen[k]);
        }
    }
    printf("\n");
    return report();
}
