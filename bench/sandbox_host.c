/*
 * sandbox_host: the one server process of the benchmark.
 *
 * Runs the etna-auth sandbox (etna_sandbox_start(NULL): default accounts,
 * app key "sandbox-app-key") exactly as `etna-auth sandbox` does, and in
 * addition answers on stdin so that the driver can read the server's own
 * counters between client runs:
 *   "count\n" -> prints "<requests answered> <TCP connections accepted>\n"
 *   EOF or "quit\n" -> stops the sandbox and exits.
 * On start it prints ETNA_BASE_URL=... and ETNA_APP_KEY=... like the CLI.
 */
#include <stdio.h>
#include <string.h>
#include <inttypes.h>
#include "etna_auth.h"

int main(void) {
    EtnaSandbox *sb = etna_sandbox_start(NULL);
    if (sb == NULL) {
        fprintf(stderr, "sandbox_host: %s\n", etna_last_error());
        return 1;
    }
    printf("ETNA_BASE_URL=%s\nETNA_APP_KEY=%s\n", etna_sandbox_url(sb), etna_sandbox_app_key(sb));
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (strncmp(line, "count", 5) == 0) {
            printf("%" PRIu64 " %" PRIu64 "\n", etna_sandbox_request_count(sb),
                   etna_sandbox_connection_count(sb));
            fflush(stdout);
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
    }
    etna_sandbox_stop(sb);
    return 0;
}
