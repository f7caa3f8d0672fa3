/* A stand-in bcryptprimitives.dll for test runs under Wine only.
 *
 * Rust's std on Windows gets random bytes (HashMap keys, ...) from
 * ProcessPrng in bcryptprimitives.dll, which Wine 8 does not have: without
 * it every Rust .exe fails to start. This DLL exports ProcessPrng and
 * forwards to BCryptGenRandom (bcrypt.dll, which Wine has). It is put next to
 * the test executables by tests/windows.sh; it is never shipped.
 *
 *   x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -O2 -shared \
 *       -o bcryptprimitives.dll bcryptprimitives.c -lbcrypt
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
