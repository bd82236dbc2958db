// SIGPIPE is the library's business: a write to a connection the peer has
// closed must be an error return, even in a process that leaves SIGPIPE at
// its default action (which kills). Plain SMTP and RFC 2136 sockets send
// with MSG_NOSIGNAL; TLS goes through ossl::socket_bio_without_sigpipe,
// tested here in a forked child with SIG_DFL beside OpenSSL's own socket
// BIO, which that same write kills (so the test shows the difference).
#include <gtest/gtest.h>

#include <csignal>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bio.h>

#include "mxdane/ossl.h"

namespace {
using namespace mxdane;

/// How a child that writes twice through `make(fd)` to a socket whose peer
/// is closed ends: its exit status as waitpid() gives it.
int write_to_closed_peer(BIO* (*make)(int)) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
        return -1;
    }
    ::close(sv[1]);
    const pid_t child = ::fork();
    if (child == 0) {
        std::signal(SIGPIPE, SIG_DFL);
        BIO* bio = make(sv[0]);
        const char data[] = "QUIT\r\n";
        const int first = BIO_write(bio, data, sizeof data - 1);
        const int second = BIO_write(bio, data, sizeof data - 1);
        BIO_free(bio);
        ::_exit(first <= 0 && second <= 0 ? 0 : 1);
    }
    ::close(sv[0]);
    int status = 0;
    (void)::waitpid(child, &status, 0);
    return status;
}

TEST(SmtpSigpipe, TheTlsSocketBioReturnsAnErrorWhereOpensslsOwnKills) {
    const int ours = write_to_closed_peer([](int fd) { return ossl::socket_bio_without_sigpipe(fd).release(); });
    EXPECT_FALSE(WIFSIGNALED(ours)) << "killed by signal " << WTERMSIG(ours);
    EXPECT_TRUE(WIFEXITED(ours) && WEXITSTATUS(ours) == 0) << "a write to a closed peer did not fail";

    const int openssls = write_to_closed_peer([](int fd) { return BIO_new_socket(fd, BIO_NOCLOSE); });
    EXPECT_TRUE(WIFSIGNALED(openssls) && WTERMSIG(openssls) == SIGPIPE)
        << "OpenSSL's socket BIO no longer raises SIGPIPE: this test shows nothing any more";
}

TEST(SmtpSigpipe, TheTlsSocketBioReadsWhatThePeerWrote) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    const ossl::BioPtr bio = ossl::socket_bio_without_sigpipe(sv[0]);
    ASSERT_EQ(::write(sv[1], "220 ok\r\n", 8), 8);
    char buf[16] = {};
    EXPECT_EQ(BIO_read(bio.get(), buf, sizeof buf), 8);
    EXPECT_STREQ(buf, "220 ok\r\n");
    EXPECT_EQ(BIO_write(bio.get(), "EHLO x\r\n", 8), 8);
    char got[16] = {};
    EXPECT_EQ(::read(sv[1], got, sizeof got), 8);
    ::close(sv[1]);
    ::close(sv[0]); // BIO_NOCLOSE: the fd is the caller's
}

} // namespace
