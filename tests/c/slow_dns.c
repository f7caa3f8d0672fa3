/*
 * An LD_PRELOAD shim for tests/c/test_dns.c: a DNS server that takes 3 s
 * for any name under ".slow-dns.test" (and then finds nothing); every other
 * name goes to the real getaddrinfo.
 *
 * Build: cc -shared -fPIC -o slow_dns.so tests/c/slow_dns.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res) {
    static const char suffix[] = ".slow-dns.test";
    size_t n = node == NULL ? 0 : strlen(node);
    if (n >= sizeof suffix - 1 && strcmp(node + n - (sizeof suffix - 1), suffix) == 0) {
        sleep(3);
        return EAI_NONAME;
    }
    getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    return real == NULL ? EAI_FAIL : real(node, service, hints, res);
}
