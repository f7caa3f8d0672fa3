// A user's C++ program built from an unpacked release with CMake
// (packaging/test/cmake/CMakeLists.txt, find_package(etna_auth)): logs in to
// the embedded sandbox as dave (password, PIN, code) through etna_auth.hpp,
// and checks that a wrong password is an etna::CredentialsError. Prints one
// line; exit code 0 when it works.
#include <cstdio>
#include <etna_auth.hpp>

int main() {
    try {
        etna::Sandbox sandbox;
        etna::Session session(sandbox.url(), sandbox.app_key());
        std::string token = session.login("dave", "dave-pass", [](etna::Step step, std::string_view) -> std::optional<std::string> {
            return step == etna::Step::Pin ? "4321" : "654321";
        });
        etna::wipe(token);
        std::string header = session.authorization_header();
        try {
            (void)session.login("dave", "not-the-password");
            std::fprintf(stderr, "a wrong password was accepted\n");
            return 1;
        } catch (const etna::CredentialsError &e) {
            if (e.status() != ETNA_ERR_CREDENTIALS) return 1;
        }
        std::printf("app.cpp: etna-auth %s (etna_auth.hpp for %s): dave logged in, Authorization: Bearer <%zu bytes>\n",
                    etna::version().c_str(), ETNA_AUTH_VERSION, header.size() - 7);
        return 0;
    } catch (const etna::Error &e) {
        std::fprintf(stderr, "app.cpp: %s (status %d)\n", e.what(), e.status());
        return 1;
    }
}
