// What the lab tests share: the lab's variables and the options that point
// mxdane at it.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "../cli/cli_harness.h"

namespace mxdane::test {

/// KEY=VALUE lines of an env file a lab wrote (updlab.env, acme.env):
/// comments and lines without '=' skipped; empty when the file is absent.
inline std::map<std::string, std::string> env_file(const std::string& path) {
    std::ifstream in(path);
    std::map<std::string, std::string> m;
    for (std::string line; std::getline(in, line);) {
        const auto eq = line.find('=');
        if (!line.empty() && line[0] != '#' && eq != std::string::npos) {
            m[line.substr(0, eq)] = line.substr(eq + 1);
        }
    }
    return m;
}

/// `s` without trailing newlines and spaces (a shell command's output).
inline std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

/// KEY=VALUE lines of DIR/lab.env.
inline const std::map<std::string, std::string>& lab() {
    static const std::map<std::string, std::string> env = [] {
        std::map<std::string, std::string> m;
        std::ifstream in(std::string(MXDANE_LAB_DIR) + "/lab.env");
        std::string line;
        while (std::getline(in, line)) {
            const auto eq = line.find('=');
            if (line.empty() || line[0] == '#' || eq == std::string::npos) {
                continue;
            }
            std::string v = line.substr(eq + 1);
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
                v = v.substr(1, v.size() - 2);
            }
            m[line.substr(0, eq)] = v;
        }
        return m;
    }();
    return env;
}

/// Held by every test that switches the keys of the lab's Postfix and
/// reloads it (RolloverLab, rollover_auto_lab, acme_lab): a reload restarts
/// the listeners of every host, so one such test at a time, each judging
/// only its own switches. A flock in the lab's directory, released with the
/// object.
class LabPostfixLock {
  public:
    LabPostfixLock() : m_fd(::open(MXDANE_LAB_DIR "/postfix-switch.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {
        if (m_fd < 0 || ::flock(m_fd, LOCK_EX) != 0) {
            throw std::runtime_error("cannot lock " MXDANE_LAB_DIR "/postfix-switch.lock");
        }
    }
    LabPostfixLock(const LabPostfixLock&) = delete;
    LabPostfixLock& operator=(const LabPostfixLock&) = delete;
    ~LabPostfixLock() { ::close(m_fd); }

  private:
    int m_fd;
};

/// `t` as the rollover's --test-clock takes it: "2027-12-08T00:00:00Z".
inline std::string iso(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::array<char, 32> buf{};
    std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf.data();
}

inline std::string env(const std::string& key) {
    const auto it = lab().find(key);
    if (it == lab().end()) {
        throw std::runtime_error("lab.env has no " + key + " (is the lab running in " MXDANE_LAB_DIR "?)");
    }
    return it->second;
}

/// The resolver options that point mxdane at the lab.
inline std::vector<std::string> lab_args(std::vector<std::string> rest, const std::string& timeout = "10") {
    std::vector<std::string> args{
        "check", "--trust-anchor", env("LAB_TRUST_ANCHOR"), "--port", env("LAB_SMTP_PORT"), "--timeout",
        timeout, "--helo",         "client.lab.test"};
    std::istringstream zones(env("LAB_STUB_ZONES"));
    std::string z;
    while (zones >> z) {
        args.push_back("--stub");
        args.push_back(z + "=" + env("LAB_DNS_ADDR") + "@" + env("LAB_DNS_PORT"));
    }
    args.insert(args.end(), rest.begin(), rest.end());
    return args;
}

/// Sends one RFC 2136 update to the update lab (tests/lab/updlab, whose
/// updlab.env is `u`) with nsupdate and its TSIG key: `lines` are nsupdate
/// commands, one per line, without "server" and "send". When nsupdate fails,
/// the exception also carries the tail of Knot's log and the sockets on its
/// port: a harness update timed out twice in about ten CI runs (2026-12-06
/// and 2026-12-07, rollover_auto_lab) while Knot logged no request, and these
/// show whether the request reached it.
inline std::string updlab_nsupdate(const std::map<std::string, std::string>& u, const std::string& lines) {
    std::string escaped;
    const std::string body = lines.substr(0, lines.find_last_not_of('\n') + 1); // a blank line would send early
    for (const char c : body) {
        escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    const std::string port = u.at("UPD_PORT");
    return shell("printf 'server 127.0.0.1 " + port + "\\n" + escaped + "\\nsend\\n' | nsupdate -k '" +
                 u.at("UPD_KEY") + "' || { rc=$?; echo '--- the last lines of the Knot log:'; tail -n 15 '" +
                 u.at("UPD_LOG") + "'; echo '--- sockets on port " + port + ":'; ss -tuanp 'sport = :" + port +
                 " or dport = :" + port + "'; exit $rc; } >&2");
}

} // namespace mxdane::test
