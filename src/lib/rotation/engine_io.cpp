// The real collaborators of the rollover engine (mxdane/engine.h): the
// files of one host, and the MTA reached through its reload command and a
// STARTTLS probe.
#include <thread>

#include "mxdane/engine.h"
#include "mxdane/error.h"
#include "mxdane/process.h"
#include "mxdane/smtp.h"

namespace mxdane::rollover {
namespace {

/// Runs the reload command through the library's process runner: its
/// chatter is talk on `fd`, never mxdane's data on stdout.
MtaControl::Reload run_reload(const std::string& command, int fd, std::chrono::seconds timeout) {
    sys::Command c;
    c.shell = command;
    c.talk_fd = fd;
    c.timeout = timeout;
    c.what = "the reload command '" + command + "'";
    const sys::Finished f = sys::run(c);
    return MtaControl::Reload{f.ok(), true, c.what + " " + f.text(timeout)};
}

class RealMta final : public MtaControl {
  public:
    explicit RealMta(MtaSettings s) : m_s(std::move(s)) {}

    Reload reload() override {
        if (m_s.reload.empty()) {
            return Reload{true, false, "no reload command was given"};
        }
        return run_reload(m_s.reload, m_s.output_fd, m_s.reload_timeout);
    }

    Proof prove(const tlsa::Record& expected) override {
        smtp::ProbeRequest req;
        req.address = m_s.address;
        req.port = m_s.port;
        req.base_name = m_s.host;
        req.records = {expected};
        req.step_timeout = std::chrono::seconds(10);
        req.total_timeout = std::chrono::seconds(30);
        Proof p;
        for (unsigned i = 0; i < std::max(1U, m_s.tries); ++i) {
            if (i > 0) {
                // A reload takes effect asynchronously.
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
            const smtp::ProbeResult res = smtp::probe(req);
            p.served = res.served;
            p.message = res.reason;
            if (res.outcome == smtp::Outcome::validated) {
                p.ok = true;
                return p;
            }
        }
        return p;
    }

    [[nodiscard]] bool probes_as_sender() const override { return true; }
    smtp::ProbeResult probe_as_sender(const smtp::ProbeRequest& req) override {
        smtp::ProbeRequest here = req;
        here.address = m_s.address;
        here.port = m_s.port;
        return smtp::probe(here);
    }

    [[nodiscard]] std::string where() const override {
        const bool v6 = m_s.address.find(':') != std::string::npos;
        return (v6 ? "[" + m_s.address + "]" : m_s.address) + ":" + std::to_string(m_s.port);
    }

  private:
    MtaSettings m_s;
};

class FileStore final : public KeyStore {
  public:
    FileStore(Layout l, std::chrono::milliseconds lock_wait) : m_l(std::move(l)), m_wait(lock_wait) {}

    // Checked: paths inside the host's directories, no symlinks, key files
    // that hash to their records (rollover.h).
    std::optional<rotation::State> load() override { return load_checked(m_l); }
    std::optional<rotation::State> look() override { return load_checked(m_l, false); }
    void save(const rotation::State& s) override { rotation::save(m_l.state_file(), s); }
    rotation::KeyTimeline stage(const StageRequest& request, rotation::State& s) override {
        return rollover::stage(request, s);
    }
    void switch_to(const rotation::KeyTimeline& key) override { rollover::switch_to(m_l, key); }
    RetireResult retire(rotation::KeyTimeline& old, bool delete_files, TimePoint now) override {
        return rollover::retire(m_l, old, delete_files, now);
    }
    std::optional<std::string> key_group_of(const rotation::KeyTimeline& key) override {
        return readable_group(key.key_file);
    }
    std::optional<std::string> stable_pair_problem(const rotation::State& s) override {
        return rollover::stable_pair_problem(m_l, s);
    }
    std::optional<store::FileLock> lock(bool pass, bool& repaired) override {
        if (pass) {
            return try_lock_host(m_l, m_wait, true, &repaired);
        }
        return lock_host(m_l, m_wait, false, &repaired);
    }
    TimePoint cert_not_after(const rotation::KeyTimeline& key) override { return reissue::not_after(key.cert_file); }
    std::optional<TimePoint> cert_not_before(const rotation::KeyTimeline& key) override {
        return reissue::not_before(key.cert_file);
    }
    bool cert_self_signed(const rotation::KeyTimeline& key) override { return reissue::self_signed(key.cert_file); }

  private:
    Layout m_l;
    std::chrono::milliseconds m_wait;
};

/// The rollover's MTA control as reissue's: the reload, and the live proof
/// of the new certificate.
class ReissueMta final : public reissue::MtaControl {
  public:
    explicit ReissueMta(rollover::MtaControl& mta) : m_mta(mta) {}
    bool reload(std::string& why) override {
        const auto r = m_mta.reload();
        if (!r.ok) {
            why = r.message;
        }
        return r.ok;
    }
    // Where it looked and what it saw (issue #23): "the live proof at
    // 127.0.0.1:25: connect: Connection refused; ...".
    bool serves(const tlsa::Record& record, std::string& why) override {
        const auto p = m_mta.prove(record);
        if (!p.ok) {
            why = "the live proof at " + m_mta.where() + ": " + (p.message.empty() ? "no answer" : p.message);
            if (p.served) {
                why += "; it serves the key of " + tlsa::rdata_text(*p.served) + " with another certificate or key";
            } else {
                why += "; it connects to " + std::string(setting_words(Setting::mta_address)) +
                       ": is the MTA listening there?";
            }
        }
        return p.ok;
    }

  private:
    rollover::MtaControl& m_mta;
};

class RealIssuer final : public CertIssuer {
  public:
    RealIssuer(IssuerSettings s, MtaControl* mta) : m_s(std::move(s)), m_mta(mta) {}
    [[nodiscard]] std::optional<reissue::Issuer> configured() const override { return m_s.issuer; }
    reissue::Result renew(rotation::State& s, reissue::Which which, TimePoint now,
                          const std::vector<std::string>& names, const reissue::Issuer& issuer) override {
        reissue::Request req;
        req.layout = m_s.layout;
        req.which = which;
        req.names = names;
        req.days = m_s.days;
        req.issuer = issuer;
        req.renew_before = m_s.renew_before;
        req.now = now;
        req.talk_fd = m_s.talk_fd;
        if (m_mta == nullptr) {
            return reissue::run(req, s, nullptr);
        }
        ReissueMta mta(*m_mta);
        return reissue::run(req, s, &mta);
    }

  private:
    IssuerSettings m_s;
    MtaControl* m_mta;
};

} // namespace

std::unique_ptr<MtaControl> make_mta_control(MtaSettings settings) {
    return std::make_unique<RealMta>(std::move(settings));
}

std::unique_ptr<CertIssuer> make_cert_issuer(IssuerSettings settings, MtaControl* mta) {
    return std::make_unique<RealIssuer>(std::move(settings), mta);
}

std::unique_ptr<KeyStore> make_file_store(const Layout& layout, std::chrono::milliseconds lock_wait) {
    return std::make_unique<FileStore>(layout, lock_wait);
}

} // namespace mxdane::rollover
