// Sockets and a child process for the C++ tests, on POSIX and Windows
// (MinGW, run under Wine): a listener on 127.0.0.1, line I/O for
// hostile_server.py's control connection (--connect PORT), and the child's
// start and end.
#ifndef ETNA_TEST_NET_HPP
#define ETNA_TEST_NET_HPP

#include <stdexcept>
#include <string>
#include <vector>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
#endif

namespace net {

#ifdef _WIN32
using Fd = SOCKET;
const Fd no_fd = INVALID_SOCKET;
inline void close_fd(Fd fd) { closesocket(fd); }
#else
using Fd = int;
const Fd no_fd = -1;
inline void close_fd(Fd fd) { ::close(fd); }
#endif

inline void startup() {
#ifdef _WIN32
    static bool done = [] {
        WSADATA data;
        return WSAStartup(MAKEWORD(2, 2), &data) == 0;
    }();
    if (!done) throw std::runtime_error("WSAStartup failed");
#endif
}

// A socket, closed by its destructor. Move-only.
class Socket {
public:
    Socket() = default;
    explicit Socket(Fd fd) : fd_(fd) {}
    Socket(Socket &&o) noexcept : fd_(o.fd_), buffer_(std::move(o.buffer_)) { o.fd_ = no_fd; }
    Socket &operator=(Socket &&o) noexcept {
        if (this != &o) {
            reset();
            fd_ = o.fd_;
            buffer_ = std::move(o.buffer_);
            o.fd_ = no_fd;
        }
        return *this;
    }
    ~Socket() { reset(); }
    void reset() {
        if (fd_ != no_fd) close_fd(fd_);
        fd_ = no_fd;
    }
    Fd fd() const { return fd_; }

    // A listener on 127.0.0.1 at a free port.
    static Socket listen_local(int &port) {
        startup();
        Socket s(::socket(AF_INET, SOCK_STREAM, 0));
        if (s.fd_ == no_fd) throw std::runtime_error("socket() failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (::bind(s.fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(s.fd_, 16) != 0 ||
            ::getsockname(s.fd_, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        port = ntohs(addr.sin_port);
        return s;
    }

    Socket accept() const {
        Fd fd = ::accept(fd_, nullptr, nullptr);
        if (fd == no_fd) throw std::runtime_error("accept() failed");
        return Socket(fd);
    }

    void send_all(const std::string &data) const {
        std::size_t done = 0;
        while (done < data.size()) {
            int n = static_cast<int>(::send(fd_, data.data() + done, static_cast<int>(data.size() - done), 0));
            if (n <= 0) throw std::runtime_error("send() failed");
            done += static_cast<std::size_t>(n);
        }
    }

    // One line without its LF; throws at the end of the stream.
    std::string read_line() {
        for (;;) {
            std::size_t lf = buffer_.find('\n');
            if (lf != std::string::npos) {
                std::string line = buffer_.substr(0, lf);
                buffer_.erase(0, lf + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                return line;
            }
            char chunk[4096];
            int n = static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
            if (n <= 0) throw std::runtime_error("the connection ended");
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    Fd fd_ = no_fd;
    std::string buffer_;
};

// A child process with the given arguments (argv[0] looked up on PATH),
// which inherits the standard streams; wait() reaps it.
class Child {
public:
    explicit Child(const std::vector<std::string> &args) {
#ifdef _WIN32
        std::string line;
        for (const auto &a : args) line += (line.empty() ? "\"" : " \"") + a + "\"";
        STARTUPINFOA si{};
        si.cb = sizeof si;
        if (!CreateProcessA(nullptr, &line[0], nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi_)) {
            throw std::runtime_error("cannot start " + line + ": error " + std::to_string(GetLastError()));
        }
#else
        std::vector<char *> argv;
        for (const auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        if (posix_spawnp(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
            throw std::runtime_error("cannot start " + args[0]);
        }
#endif
    }
    Child(const Child &) = delete;
    Child &operator=(const Child &) = delete;
    ~Child() { wait(); }
    void wait() {
#ifdef _WIN32
        if (pi_.hProcess != nullptr) {
            WaitForSingleObject(pi_.hProcess, 10000);
            CloseHandle(pi_.hProcess);
            CloseHandle(pi_.hThread);
            pi_.hProcess = nullptr;
        }
#else
        if (pid_ > 0) {
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = 0;
        }
#endif
    }

private:
#ifdef _WIN32
    PROCESS_INFORMATION pi_{};
#else
    pid_t pid_ = 0;
#endif
};

}  // namespace net

#endif
