// The hook backend: for DNS providers that only have an API, a small script
// of the admin's does the publishing. One run per change, so a change of
// several records is one decision of the hook (all or nothing from mxdane's
// point of view).
#include <utility>

#include "mxdane/error.h"
#include "mxdane/process.h"
#include "mxdane/publish.h"

namespace mxdane::publish {
namespace {

class HookPublisher final : public Publisher {
  public:
    explicit HookPublisher(HookOptions options) : m_opts(std::move(options)) {
        if (m_opts.command.empty()) {
            throw SettingError(Errc::bad_input, Setting::publish_hook, "",
                               std::string(setting_words(Setting::publish_hook)) + ": the command is empty");
        }
    }

    Outcome apply(const Change& change) override {
        if (change.ops.empty()) {
            return {Status::unchanged, "nothing to publish", m_opts.zone.value_or(""), {}, {}};
        }
        sys::Command c;
        c.shell = m_opts.command;
        c.what = "the publish hook";
        // The hook's stdout is talk too: our stdout carries only the change.
        c.talk_fd = m_opts.stderr_fd;
        c.timeout = m_opts.timeout;
        for (const auto& [name, value] : hook_environment(change, m_opts.zone)) {
            c.env.push_back(name + "=" + value);
        }
        c.input = nsupdate_script(change, m_opts.zone);
        const sys::Finished f = sys::run(c);
        if (f.ok()) {
            return {Status::ok, "the publish hook accepted the change", m_opts.zone.value_or(""), change.ops, {}};
        }
        return {Status::hook_failed,
                "the publish hook " + f.failure_text(m_opts.timeout) + "; nothing is known to be published",
                m_opts.zone.value_or(""),
                {},
                {}};
    }

    [[nodiscard]] std::string describe() const override { return "publish hook: " + m_opts.command; }

  private:
    HookOptions m_opts;
};

} // namespace

std::unique_ptr<Publisher> make_hook_publisher(HookOptions options) {
    return std::make_unique<HookPublisher>(std::move(options));
}

} // namespace mxdane::publish
