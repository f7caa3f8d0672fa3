/*
 * curl_client: the same N two-factor logins written by hand with libcurl,
 * the way a C or C++ trading app would do it without etna-auth.
 *
 *   curl_client reuse|new BASE_URL APP_KEY N [CA_FILE]
 *
 * reuse: one easy handle for all N logins (keep-alive: one connection).
 * new:   curl_easy_init() / curl_easy_cleanup() around every login (a new
 *        connection, and with CA_FILE a new TLS handshake, per login).
 *
 * Each step is POST {base}/token with no body and exactly the headers
 * etna-auth sends (bench/PROTOCOL check: bench/check_requests.py):
 *   Et-App-Key, Username, Password, Accept: application/json,
 *   Content-Length: 0, a User-Agent, and on the code step
 *   Authorization: Bearer <interim token from the 202 JSON>, VerificationCode.
 * The answer's status and "Token" are checked, as the library does (with a
 * minimal scan of the JSON rather than a JSON library: cheaper than what a
 * real app would use, so this favours libcurl).
 */
#include <curl/curl.h>
#include "bench_common.h"

struct body { char data[8192]; size_t len; };

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
    struct body *b = userdata;
    size_t n = size * nmemb;
    if (b->len + n >= sizeof b->data) return 0; /* too long: abort the transfer */
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Copies the string value of "Token" into out; returns its length or -1. */
static long json_token(const char *json, char *out, size_t cap) {
    const char *p = strstr(json, "\"Token\"");
    if (p == NULL) return -1;
    p = strchr(p + 7, '"');
    if (p == NULL) return -1;
    p++;
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= cap || end == p) return -1;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return end - p;
}

static CURL *new_handle(const char *endpoint, const char *ca, struct body *b) {
    CURL *h = curl_easy_init();
    if (h == NULL) { fprintf(stderr, "curl_client: curl_easy_init failed\n"); exit(2); }
    curl_easy_setopt(h, CURLOPT_URL, endpoint);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "curl-bench/1.0");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    if (ca != NULL) curl_easy_setopt(h, CURLOPT_CAINFO, ca);
    return h;
}

/* One POST /token; returns the HTTP status, the body in b. */
static long post(CURL *h, struct body *b, const char *key, const char *bearer, const char *code) {
    char hdr[6][600];
    struct curl_slist *list = NULL;
    snprintf(hdr[0], sizeof hdr[0], "Et-App-Key: %s", key);
    snprintf(hdr[1], sizeof hdr[1], "Username: %s", BENCH_USER);
    snprintf(hdr[2], sizeof hdr[2], "Password: %s", BENCH_PASSWORD);
    list = curl_slist_append(list, hdr[0]);
    list = curl_slist_append(list, hdr[1]);
    list = curl_slist_append(list, hdr[2]);
    if (bearer != NULL) {
        snprintf(hdr[3], sizeof hdr[3], "Authorization: Bearer %s", bearer);
        snprintf(hdr[4], sizeof hdr[4], "VerificationCode: %s", code);
        list = curl_slist_append(list, hdr[3]);
        list = curl_slist_append(list, hdr[4]);
    }
    list = curl_slist_append(list, "Accept: application/json");
    list = curl_slist_append(list, "Content-Type:"); /* no form content type for an empty body */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    b->len = 0;
    b->data[0] = '\0';
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl_client: %s\n", curl_easy_strerror(rc));
        exit(3);
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static long login(CURL *h, struct body *b, const char *key, long i) {
    char interim[512], token[512];
    long st = post(h, b, key, NULL, NULL);
    if (st != 202 || strstr(b->data, "\"VerificationCode\"") == NULL || json_token(b->data, interim, sizeof interim) < 0) {
        fprintf(stderr, "curl_client: login %ld step 1: HTTP %ld %s\n", i, st, b->data);
        exit(3);
    }
    st = post(h, b, key, interim, BENCH_CODE);
    long n = json_token(b->data, token, sizeof token);
    if (st != 200 || strstr(b->data, "\"Succeeded\"") == NULL || n < 0) {
        fprintf(stderr, "curl_client: login %ld step 2: HTTP %ld %s\n", i, st, b->data);
        exit(3);
    }
    return n;
}

int main(int argc, char **argv) {
    struct bench_args a = bench_parse_args("curl_client", argc, argv);
    long token_len = 0;
    char endpoint[1024];
    size_t ulen = strlen(a.url);
    snprintf(endpoint, sizeof endpoint, "%.*s/token", (int)(ulen && a.url[ulen - 1] == '/' ? ulen - 1 : ulen), a.url);
    static struct body b;
    double c0 = bench_cpu_s();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (a.reuse) {
        CURL *h = new_handle(endpoint, a.ca, &b);
        for (long i = 0; i < a.n; i++) token_len = login(h, &b, a.key, i);
        curl_easy_cleanup(h);
    } else {
        for (long i = 0; i < a.n; i++) {
            CURL *h = new_handle(endpoint, a.ca, &b);
            token_len = login(h, &b, a.key, i);
            curl_easy_cleanup(h);
        }
    }
    curl_global_cleanup();
    bench_report(a.reuse ? "curl-reuse" : "curl-new", a.n, bench_cpu_s() - c0, token_len);
    return 0;
}
