// The issue command contract (include/mxdane/issue.h, README "Certificates
// from any issuer"). The key stays here: the command gets a CSR and a place
// to write the certificate, and what it writes is checked before use.
#include "mxdane/issue.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "mxdane/error.h"
#include "mxdane/material.h"
#include "mxdane/process.h"
#include "mxdane/rotation.h"
#include "mxdane/store.h"
#include "mxdane/sys.h"
#include "mxdane/x509.h"

namespace mxdane::issue {
namespace {

constexpr std::size_t max_output = 1U << 20U; // a chain is a few KiB; more is not a certificate

void add_extension(X509_REQ& req, STACK_OF(X509_EXTENSION) & exts, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, nullptr, nullptr, &req, nullptr, 0);
    X509_EXTENSION* ext = ossl::check(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()),
                                      std::string("making the ") + OBJ_nid2sn(nid) + " extension");
    if (sk_X509_EXTENSION_push(&exts, ext) <= 0) {
        X509_EXTENSION_free(ext);
        throw ossl::failure("adding an extension to the CSR");
    }
}

struct ExtStackFree {
    void operator()(STACK_OF(X509_EXTENSION) * p) const noexcept { sk_X509_EXTENSION_pop_free(p, X509_EXTENSION_free); }
};

std::string subject_text(X509& cert) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    X509_NAME_print_ex(bio.get(), X509_get_subject_name(&cert), 0, XN_FLAG_RFC2253);
    std::string s = ossl::bio_contents(*bio);
    return s.empty() ? "(empty subject)" : s;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c); });
    return s;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : sep) + s;
    }
    return out;
}

/// Every PEM certificate in `text`, in order; a reason when one is broken
/// or there is none.
Expected<Chain> read_pems(std::string_view text, const std::string& what) {
    Chain out;
    const ossl::BioPtr bio(
        ossl::check(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), "reading the issuer's output"));
    while (true) {
        ossl::X509Ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!c) {
            const unsigned long err = ERR_peek_last_error();
            ossl::drain_errors();
            if (ERR_GET_REASON(err) == PEM_R_NO_START_LINE && !out.empty()) {
                break; // the end of the certificates
            }
            if (out.empty()) {
                return Unexpected{what + " holds no PEM certificate"};
            }
            return Unexpected{what + ": PEM certificate " + std::to_string(out.size() + 1) + " is malformed"};
        }
        out.push_back(std::move(c));
    }
    return out;
}

/// The whole file (at most max_output bytes); "" when it does not exist.
/// Read as every input is (sys::read_file): a regular file only, never
/// through a symlink, so a FIFO or a link to another file left at the
/// command's path is refused, not waited on or followed (issue #25).
std::string read_output(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 && errno == ENOENT) {
        return {};
    }
    try {
        return sys::read_file(p, {"issue command's output", max_output, false, true});
    } catch (const Error& e) {
        throw Error(Errc::refused, std::string(e.what()) + "; nothing was installed");
    }
}

/// A private directory, removed with its contents when this goes away.
class WorkDir {
  public:
    explicit WorkDir(const fs::path& parent) {
        std::string tmpl = (parent / "mxdane-issue-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) {
            throw Error(errno == EACCES ? Errc::permission : Errc::io,
                        "cannot make a directory for the issue command in " + parent.string() + ": " +
                            sys::error_text(errno));
        }
        m_path = tmpl;
    }
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    WorkDir(WorkDir&&) = delete;
    WorkDir& operator=(WorkDir&&) = delete;
    ~WorkDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    [[nodiscard]] const fs::path& path() const { return m_path; }

  private:
    fs::path m_path;
};

/// "the issue command failed with exit status 127 (command not found?)".
std::string status_text(const sys::Finished& f, std::chrono::seconds timeout) {
    return "the issue command " + f.failure_text(timeout);
}

} // namespace

ossl::X509ReqPtr make_csr(EVP_PKEY& key, const std::vector<std::string>& names) {
    if (names.empty()) {
        throw Error(Errc::bad_input, "a CSR needs at least one name");
    }
    ossl::X509ReqPtr req(ossl::check(X509_REQ_new(), "allocating a CSR"));
    ossl::check(X509_REQ_set_version(req.get(), X509_REQ_VERSION_1), "setting the CSR version");
    const ossl::X509NamePtr subject = x509::subject_for(names);
    ossl::check(X509_REQ_set_subject_name(req.get(), subject.get()), "setting the CSR subject");
    ossl::check(X509_REQ_set_pubkey(req.get(), &key), "setting the CSR key");
    const std::unique_ptr<STACK_OF(X509_EXTENSION), ExtStackFree> exts(
        ossl::check(sk_X509_EXTENSION_new_null(), "allocating CSR extensions"));
    add_extension(*req, *exts, NID_subject_alt_name,
                  x509::san_extension_value(names, X509_NAME_entry_count(subject.get()) == 0));
    ossl::check(X509_REQ_add_extensions(req.get(), exts.get()), "adding the CSR extensions");
    const bool rsa = EVP_PKEY_is_a(&key, "RSA") == 1;
    const EVP_MD* md = (!rsa && EVP_PKEY_get_bits(&key) >= 384) ? EVP_sha384() : EVP_sha256();
    ossl::check(X509_REQ_sign(req.get(), &key, md), "signing the CSR");
    return req;
}

std::string csr_pem(X509_REQ& csr) {
    const ossl::BioPtr bio(ossl::check(BIO_new(BIO_s_mem()), "allocating a BIO"));
    ossl::check(PEM_write_bio_X509_REQ(bio.get(), &csr), "writing the CSR");
    return ossl::bio_contents(*bio);
}

Expected<Chain> parse_output(std::string_view cert_text, std::string_view chain_text) {
    if (cert_text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return Unexpected{"the issue command wrote no certificate"};
    }
    auto leaf = read_pems(cert_text, "the certificate file");
    if (!leaf) {
        return leaf;
    }
    Chain out = std::move(leaf).value();
    if (out.size() == 1 && chain_text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        auto rest = read_pems(chain_text, "the chain file");
        if (!rest) {
            return rest;
        }
        Chain more = std::move(rest).value();
        for (auto& c : more) {
            out.push_back(std::move(c));
        }
    }
    return out;
}

Expected<Accepted> validate(const Chain& chain, const Expectation& expect) {
    if (chain.empty()) {
        return Unexpected{"the issue command wrote no certificate"};
    }
    X509& leaf = *chain.front();
    if (x509::certificate_spki_der(leaf) != expect.spki) {
        return Unexpected{"the certificate is for another key, not the one mxdane asked for (" + subject_text(leaf) +
                          "): its 3 1 1 record would not match DNS"};
    }
    std::vector<std::string> has;
    for (const auto& n : x509::dns_names(leaf)) {
        has.push_back(lower(n));
    }
    for (const auto& want : expect.names) {
        if (std::find(has.begin(), has.end(), lower(want)) == has.end()) {
            return Unexpected{"the certificate does not name " + want +
                              " (its DNS names: " + (has.empty() ? std::string("none") : join(has, ", ")) + ")"};
        }
    }
    Accepted a;
    a.not_before = x509::to_time_point(*X509_get0_notBefore(&leaf));
    a.not_after = x509::to_time_point(*X509_get0_notAfter(&leaf));
    // A CA's clock may run a little ahead of ours (keygen backdates by 5
    // minutes for the same reason); more than that is "not valid yet".
    if (a.not_before > expect.now + std::chrono::seconds(300)) {
        return Unexpected{"the certificate is not valid yet: not before " + rotation::format_time(a.not_before)};
    }
    if (a.not_after <= expect.now) {
        return Unexpected{"the certificate has expired: not after " + rotation::format_time(a.not_after)};
    }
    if (a.not_after < expect.now + expect.min_left) {
        return Unexpected{"the certificate is valid only until " + rotation::format_time(a.not_after) +
                          ", less than the " + std::to_string(expect.min_left.count() / 86400) +
                          " days it must have left"};
    }
    // RFC 8446 §4.4.2: each certificate certifies the one before it.
    for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
        X509& child = *chain[i];
        X509& parent = *chain[i + 1];
        EVP_PKEY* parent_key = X509_get0_pubkey(&parent);
        if (X509_check_issued(&parent, &child) != X509_V_OK || parent_key == nullptr ||
            X509_verify(&child, parent_key) != 1) {
            ossl::drain_errors();
            return Unexpected{"the chain is out of order: certificate " + std::to_string(i + 2) + " (" +
                              subject_text(parent) + ") did not issue certificate " + std::to_string(i + 1) + " (" +
                              subject_text(child) + ")"};
        }
    }
    for (const auto& c : chain) {
        a.pem += x509::certificate_pem(*c);
    }
    a.chain_length = chain.size() - 1;
    return a;
}

std::vector<std::pair<std::string, std::string>> environment(const Contract& c) {
    return {
        {"MXDANE_CSR", c.csr.string()},
        {"MXDANE_CERT", c.cert.string()},
        {"MXDANE_CHAIN", c.chain.string()},
        {"MXDANE_WORKDIR", c.work_dir.string()},
        {"MXDANE_HOST", c.host},
        {"MXDANE_NAMES", c.names},
        {"MXDANE_TIMEOUT", std::to_string(c.timeout_s)},
    };
}

Accepted issue(const Request& request) {
    if (request.command.empty()) {
        throw Error(Errc::bad_input, "the issue command is empty");
    }
    if (request.key == nullptr || request.names.empty()) {
        throw Error(Errc::bad_input, "an issue request needs a key and names");
    }
    const auto csr = make_csr(*request.key, request.names);
    const WorkDir dir(request.parent_dir);
    Contract c;
    c.csr = dir.path() / "request.csr";
    c.cert = dir.path() / "cert.pem";
    c.chain = dir.path() / "chain.pem";
    c.work_dir = dir.path();
    c.host = request.host;
    c.names = join(request.names, " ");
    c.timeout_s = static_cast<unsigned>(request.timeout.count());
    store::install_all({store::NewFile{c.csr, csr_pem(*csr), 0644, std::nullopt}});

    std::vector<std::string> env;
    for (const auto& [k, v] : environment(c)) {
        env.push_back(k + "=" + v);
    }
    const std::string nothing = "; nothing was installed";
    const auto started = std::chrono::steady_clock::now();
    sys::Command cmd;
    cmd.shell = request.command;
    cmd.env = env;
    cmd.dir = dir.path();
    cmd.talk_fd = request.talk_fd;
    cmd.timeout = request.timeout;
    cmd.what = "the issue command";
    const sys::Finished status = sys::run(cmd);
    const auto ran =
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::steady_clock::now() - started);
    if (!status.ok()) {
        throw Error(Errc::refused, status_text(status, request.timeout) + nothing);
    }
    const auto chain = parse_output(read_output(c.cert), read_output(c.chain));
    if (!chain) {
        throw Error(Errc::refused, chain.error() + " (MXDANE_CERT)" + nothing);
    }
    Expectation e;
    e.spki = x509::key_spki_der(*request.key);
    e.names = request.names;
    // The certificate was made while the command ran, not before it began.
    e.now = request.now + ran;
    e.min_left = request.min_left;
    auto accepted = validate(*chain, e);
    if (!accepted) {
        throw Error(Errc::refused, "refused the issued certificate: " + accepted.error() + nothing);
    }
    return *accepted;
}

} // namespace mxdane::issue
