/* A user's program built from an unpacked release (packaging/test_artifacts.sh):
 * `cc app.c $(pkg-config --cflags --libs etna_auth)`. Logs in to the embedded
 * sandbox as bob (password, then PIN) and checks that the header and the
 * library agree on the version. Prints one line; exit code 0 when it works. */
#include <stdio.h>
#include <string.h>
#include <etna_auth.h>

int main(void) {
    if (strcmp(etna_version(), ETNA_AUTH_VERSION) != 0 ||
        etna_version_number() != ETNA_AUTH_VERSION_NUMBER) {
        fprintf(stderr, "version mismatch: header %s, library %s\n", ETNA_AUTH_VERSION, etna_version());
        return 1;
    }
    EtnaSandbox *sb = etna_sandbox_start(NULL);
    if (sb == NULL) { fprintf(stderr, "sandbox: %s\n", etna_last_error()); return 1; }
    EtnaSession *s = etna_new(etna_sandbox_url(sb), etna_sandbox_app_key(sb));
    if (s == NULL) { fprintf(stderr, "etna_new: %s\n", etna_last_error()); return 1; }
    int rc = etna_begin_auth(s, "bob", "bob-pass");
    if (rc == ETNA_NEED_PIN) rc = etna_supply_pin(s, "1234");
    int n = rc == ETNA_OK ? etna_get_token(s, NULL, 0) : -1;
    if (rc != ETNA_OK || n <= 0) {
        fprintf(stderr, "login: %s: %s\n", etna_status_str(rc), etna_last_error());
        return 1;
    }
    printf("etna-auth %s (header %s): bob logged in, token of %d bytes\n", etna_version(), ETNA_AUTH_VERSION, n);
    etna_free(s);
    etna_sandbox_stop(sb);
    return 0;
}
