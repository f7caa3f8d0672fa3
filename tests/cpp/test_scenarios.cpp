// The login scenarios of tests/scenarios/scenarios.json through the C++
// wrapper (include/etna_auth.hpp): every scenario with a `login` step, played
// by etna::Session::login with an Ask that plays the step's `answers`
// (tests/scenarios/README.md, "The login policy: login steps"), and the steps
// around it (pin, code through native(); token, expires_at through the
// wrapper). Scripted servers are tests/scenarios/hostile_server.py, started
// with --connect (a TCP control connection, which also works under Wine).
//
//   test_scenarios SCENARIOS_JSON [FILTER]
//
// ETNA_AUTH_PYTHON names the python that runs the server (default python3;
// under Wine the Unix /usr/bin/python3, which gets Unix paths).
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>
#include <typeinfo>

#include "check.hpp"
#include "etna_auth.hpp"
#include "json.hpp"
#include "net.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string dir_of(const std::string &path) {
    std::size_t slash = path.find_last_of("/\\");
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// A path as the server's python reads it: a Unix python started from Wine
// gets "Z:\x\y" as "/x/y" (Wine's Z: is the host's /).
std::string path_for_python(const std::string &python, std::string path) {
#ifdef _WIN32
    if (!python.empty() && python[0] == '/' && path.size() > 2 && (path[0] == 'Z' || path[0] == 'z') && path[1] == ':') {
        path = path.substr(2);
        for (char &c : path) c = c == '\\' ? '/' : c;
    }
#else
    (void)python;
#endif
    return path;
}

std::string replace_all(std::string s, const std::string &from, const std::string &to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

// hostile_server.py, started on first use and driven over its control connection.
class Hostile {
public:
    explicit Hostile(const std::string &scenarios_path) {
        int port = 0;
        net::Socket listener = net::Socket::listen_local(port);
        const char *env = std::getenv("ETNA_AUTH_PYTHON");
        std::string python = env != nullptr && *env != '\0' ? env : "python3";
        std::string dir = dir_of(scenarios_path);
        child_ = std::make_unique<net::Child>(std::vector<std::string>{
            python, path_for_python(python, dir + "/hostile_server.py"), path_for_python(python, scenarios_path),
            "--connect", std::to_string(port)});
        control_ = listener.accept();
        json::Value ready = json::parse(control_.read_line());
        if (!ready["ready"].boolean) throw std::runtime_error("hostile_server.py is not ready");
    }
    ~Hostile() {
        control_.reset();  // the end of the connection ends the server
        child_->wait();
    }
    json::Value command(const std::string &line) {
        control_.send_all(line + "\n");
        json::Value answer = json::parse(control_.read_line());
        if (answer.has("error")) throw std::runtime_error("hostile_server.py: " + answer["error"].str());
        return answer;
    }

private:
    std::unique_ptr<net::Child> child_;
    net::Socket control_;
};

struct Suite {
    std::string scenarios_path;
    json::Value doc;
    json::Value status_table;  // bindings/status_codes.json
    std::unique_ptr<Hostile> hostile;

    int status_code(const std::string &name) const {
        for (const auto &row : status_table.array) {
            if (row["name"].str() == name) return static_cast<int>(row["code"].integer());
        }
        throw std::runtime_error("no status " + name + " in bindings/status_codes.json");
    }
    std::string status_name(int code) const {
        for (const auto &row : status_table.array) {
            if (row["code"].integer() == code) return row["name"].str();
        }
        return "unknown status " + std::to_string(code);
    }
};

// One scenario's run: what every step checks.
class Run {
public:
    Run(Suite &suite, const json::Value &scenario) : suite_(suite), sc_(scenario), id_(scenario["id"].str()) {
        for (const auto *list : {&suite.doc["defaults"]["secrets"], &scenario["secrets"]}) {
            for (const auto &s : list->array) secrets_.push_back(s.str());
        }
    }

    void play() {
        const json::Value &server = sc_["server"];
        const std::string kind = server["kind"].str_or("script");
        std::optional<etna::Sandbox> sandbox;
        std::string url, app_key = suite_.doc["defaults"]["app_key"].str_or("the-key"), run_key;
        if (kind == "sandbox") {
            sandbox.emplace(server["config"].is_null() ? etna::Sandbox() : etna::Sandbox(server["config"].dump()));
            url = sandbox->url();
            app_key = sandbox->app_key();
        } else if (kind == "script" || kind == "refused") {
            if (!suite_.hostile) suite_.hostile = std::make_unique<Hostile>(suite_.scenarios_path);
            json::Value opened = suite_.hostile->command("open " + id_);
            url = opened["url"].str();
            run_key = opened["key"].str();
        } else if (kind != "none") {
            fail("server kind " + kind + " is not played by the C++ runner");
            return;
        }
        const json::Value *spec = sc_.find("session");
        timeout_ms_ = suite_.doc["defaults"]["timeout_ms"].integer_or(5000);
        if (spec == nullptr || !spec->is_null()) {
            static const json::Value empty;
            const json::Value &s = spec ? *spec : empty;
            timeout_ms_ = s["timeout_ms"].integer_or(timeout_ms_);
            session_.emplace(subst(s["url"].str_or("{server}"), url), s["app_key"].str_or(app_key));
            session_->set_timeout(std::chrono::milliseconds(timeout_ms_));
            if (s.has("ca_file")) session_->set_ca_file(subst(s["ca_file"].str(), url));
        }
        for (const auto &step : sc_["steps"].array) {
            ++step_no_;
            play_step(step);
        }
        session_.reset();  // the session is freed before the server's counts are read

        const json::Value &want = sc_["server_expect"];
        json::Value got;
        if (sandbox) {
            got.kind = json::Value::Object;
            json::Value n;
            n.kind = json::Value::Number;
            n.number = static_cast<double>(sandbox->request_count());
            got.object.emplace_back("requests", n);
            n.number = static_cast<double>(sandbox->connection_count());
            got.object.emplace_back("connections", n);
        } else if (!run_key.empty()) {
            got = suite_.hostile->command("stats " + run_key);
            for (const auto &v : got["violations"].array) fail("the server found: " + v.str());
        }
        for (const char *key : {"requests", "connections"}) {
            if (want.has(key)) {
                expect(got[key].integer_or(-1) == want[key].integer(),
                       std::string(key) + ": " + std::to_string(got[key].integer_or(-1)) + ", want " +
                           std::to_string(want[key].integer()));
            }
        }
        if (want.has("max_connections")) {
            expect(got["connections"].integer_or(0) <= want["max_connections"].integer(), "too many connections");
        }
    }

private:
    std::string subst(std::string s, const std::string &server_url) const {
        s = replace_all(s, "{server}", server_url);
        return replace_all(s, "{pki}", dir_of(suite_.scenarios_path) + "/../pki");
    }

    std::string where() const { return id_ + " step " + std::to_string(step_no_); }
    void fail(const std::string &what) { check::record(false, id_.c_str(), step_no_, what); }
    void expect(bool ok, const std::string &what) { check::record(ok, id_.c_str(), step_no_, what); }

    // What every message must be: one line, short, with no secret.
    void check_message(const std::string &message) {
        for (unsigned char c : message) {
            if (c < 0x20 || c == 0x7f) {
                fail("a control character in the message: " + message);
                break;
            }
        }
        expect(message.size() < 4096, "a message of 4096 bytes or more");
        for (const auto &secret : secrets_) {
            expect(message.find(secret) == std::string::npos, "a secret in the message: " + message);
        }
    }

    // The step's status and message against its expect; the message is searched with the regex.
    void check_outcome(const json::Value &expect_, int status, const std::string &message, long long ms,
                       long long default_max_ms, bool made_here = false) {
        std::string want = expect_["status"].str_or("ETNA_OK");
        expect(status == suite_.status_code(want), "status " + suite_.status_name(status) + ", want " + want +
                                                       " (message: " + message + ")");
        if (expect_.has("message")) {
            expect(std::regex_search(message, std::regex(expect_["message"].str())),
                   "message \"" + message + "\" does not match /" + expect_["message"].str() + "/");
        }
        if (status < 0 && !made_here) expect(!message.empty(), "an error status without a message");
        check_message(message);
        expect(ms >= expect_["min_ms"].integer_or(0), "took " + std::to_string(ms) + " ms, less than min_ms");
        long long max_ms = expect_["max_ms"].integer_or(default_max_ms);
        expect(ms <= max_ms, "took " + std::to_string(ms) + " ms, more than " + std::to_string(max_ms));
    }

    void play_step(const json::Value &step) {
        const std::string call = step["call"].str();
        const json::Value &want = step["expect"];
        if (!session_) {
            fail("the step " + call + " needs a session");
            return;
        }
        std::thread canceller;
        if (step.has("cancel_after_ms")) {
            auto after = std::chrono::milliseconds(step["cancel_after_ms"].integer());
            etna::Session *session = &*session_;
            canceller = std::thread([session, after] {
                std::this_thread::sleep_for(after);
                session->cancel();
            });
        }
        const long long slack = suite_.doc["defaults"]["slack_ms"].integer_or(2500);
        auto start = Clock::now();
        if (call == "login") {
            login(step, want, slack);
        } else if (call == "pin" || call == "code") {
            const std::string value = step["value"].str();
            int status = call == "pin" ? etna_supply_pin(session_->native(), value.c_str())
                                       : etna_supply_code(session_->native(), value.c_str());
            check_outcome(want, status, etna_last_error(), check::ms_since(start), timeout_ms_ + slack);
        } else if (call == "token") {
            std::optional<std::string> token = session_->token();
            check_outcome(want, token ? ETNA_OK : ETNA_ERR_STATE, "", 0, 1, true);
            if (want.has("token")) expect(token && *token == want["token"].str(), "not the expected token");
            if (token) {
                expect(session_->authorization_header() == "Bearer " + *token, "authorization_header()");
            } else {
                try {
                    (void)session_->authorization_header();
                    fail("authorization_header() without a token did not throw");
                } catch (const etna::StateError &e) {
                    check_message(e.what());
                }
            }
        } else if (call == "expires_at") {
            auto at = session_->expires_at();
            check_outcome(want, at ? ETNA_OK : ETNA_ERR_STATE, "", 0, 1, true);
            if (at) {
                auto left = std::chrono::duration_cast<std::chrono::minutes>(*at - std::chrono::system_clock::now());
                expect(left.count() > 23 * 60 && left.count() <= 24 * 60, "expires_at is not about 24 hours from now");
            }
        } else {
            fail("the call " + call + " is not played by the C++ runner");
        }
        if (canceller.joinable()) canceller.join();
    }

    void login(const json::Value &step, const json::Value &want, long long slack) {
        const json::Value &answers = step["answers"];
        std::vector<std::pair<etna::Step, std::string>> asked;
        std::size_t next = 0;
        const std::exception *thrown = nullptr;  // the object the Ask threw
        std::string thrown_text;
        etna::Ask ask;
        if (!answers.is_null()) {
            ask = [&](etna::Step s, std::string_view reason) -> std::optional<std::string> {
                asked.emplace_back(s, std::string(reason));
                if (next >= answers.array.size()) {
                    fail("the Ask was called more often than answers has entries");
                    return std::nullopt;
                }
                const json::Value &a = answers.array[next++];
                if (a.is_null()) return std::nullopt;
                if (a.kind == json::Value::String) return a.string;
                if (a.has("throw")) {
                    thrown_text = a["throw"].str();
                    try {
                        throw std::runtime_error(thrown_text);
                    } catch (const std::runtime_error &e) {
                        thrown = &e;
                        throw;  // the same object
                    }
                }
                if (a.has("repeat")) {
                    std::string out;
                    for (long long i = 0; i < a["times"].integer(); ++i) out += a["repeat"].str();
                    return out;
                }
                if (a.has("give")) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(a["after_ms"].integer_or(0)));
                    return a["give"].str();
                }
                fail("an answer the C++ runner does not know: " + a.dump());
                return std::nullopt;
            };
        }
        int status = ETNA_OK;
        std::string message;
        bool rethrown = false;
        auto start = Clock::now();
        try {
            std::string token = session_->login(step["username"].str(), step["password"].str(), ask);
            expect(!token.empty() && session_->token() == token, "login() returned the session's token");
        } catch (const etna::Error &e) {
            status = e.status();
            message = e.what();
            // Exactly the class the wrapper's table gives the status.
            try {
                etna::throw_error(status, "");
            } catch (const etna::Error &reference) {
                expect(typeid(e) == typeid(reference), "the exception's class is not the one of its status");
            }
        } catch (const std::runtime_error &e) {
            rethrown = true;
            expect(thrown != nullptr && &e == thrown, "login() threw another exception object than the Ask");
            expect(typeid(e) == typeid(std::runtime_error) && e.what() == thrown_text, "the Ask's exception changed");
        }
        long long ms = check::ms_since(start);
        if (thrown != nullptr) {
            expect(rethrown, "the Ask threw, but login() did not rethrow that exception");
            check_message(message);
        } else {
            check_outcome(want, status, message, ms, 4 * timeout_ms_ + slack);
        }
        if (want.has("asked")) {
            const auto &list = want["asked"].array;
            expect(asked.size() == list.size(), "asked " + std::to_string(asked.size()) + " times, want " +
                                                    std::to_string(list.size()));
            for (std::size_t i = 0; i < asked.size() && i < list.size(); ++i) {
                int step_status = suite_.status_code(list[i].array.at(0).str());
                expect(static_cast<int>(asked[i].first) == step_status, "asked for another factor");
                expect(std::regex_search(asked[i].second, std::regex(list[i].array.at(1).str())),
                       "the reason \"" + asked[i].second + "\" does not match /" + list[i].array.at(1).str() + "/");
            }
        }
        for (const auto &a : asked) check_message(a.second);
    }

    Suite &suite_;
    const json::Value &sc_;
    std::string id_;
    std::vector<std::string> secrets_;
    std::optional<etna::Session> session_;
    long long timeout_ms_ = 5000;
    int step_no_ = 0;
};

bool has_login_step(const json::Value &scenario) {
    for (const auto &step : scenario["steps"].array) {
        if (step["call"].str() == "login") return true;
    }
    return false;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SCENARIOS_JSON [FILTER]\n", argv[0]);
        return 2;
    }
    Suite suite;
    suite.scenarios_path = argv[1];
    suite.doc = json::parse(read_file(suite.scenarios_path));
    suite.status_table = json::parse(read_file(dir_of(suite.scenarios_path) + "/../../bindings/status_codes.json"));
    std::vector<check::Test> tests;
    for (const auto &scenario : suite.doc["scenarios"].array) {
        if (!has_login_step(scenario)) continue;
        tests.emplace_back(scenario["id"].str().c_str(), [&suite, &scenario] { Run(suite, scenario).play(); });
    }
    if (tests.empty()) {
        std::fprintf(stderr, "no login scenario in %s\n", argv[1]);
        return 1;
    }
    int rc = check::run_tests(tests, argc > 2 ? argv[2] : nullptr);
    suite.hostile.reset();
    return rc;
}
