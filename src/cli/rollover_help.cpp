// Each rollover step's own examples (a subcommand would otherwise inherit
// the generic footer of `mxdane rollover`).
#include <map>

#include "help.h"

namespace mxdane::cli {

void rollover_help(CLI::App& rollover) {
    const std::map<std::string, std::vector<Example>> by_step{
        {"init",
         {{"mxdane rollover init mx1.example.net",
           "adopt the key keygen made (its stable names stay; the MTA's configuration too)"},
          {"mxdane rollover init --key /etc/ssl/private/mx1.key --cert /etc/ssl/certs/mx1.crt --mta exim "
           "mx1.example.net",
           "adopt a key made elsewhere; point the stable names at it and print Exim's lines"}}},
        {"stage",
         {{"mxdane rollover stage mx1.example.net",
           "make the next key and print the current and the next record: publish both"},
          {"mxdane rollover stage --key p256 --margin-days 2 mx1.example.net",
           "an ECDSA P-256 key this time, and a shorter safety margin"}}},
        {"status",
         {{"mxdane rollover status mx1.example.net",
           "the step, what DNS shows, and when the next step is allowed (exit 4 while waiting)"},
          {"mxdane rollover status --nagios --verify-at 192.0.2.25 mx1.example.net",
           "one line and monitoring plug-in exit codes"}}},
        {"activate",
         {{"mxdane rollover activate --reload 'postfix reload' mx1.example.net",
           "switch the stable names to the next key, reload Postfix, prove the new key is served"},
          {"mxdane rollover activate --reload 'systemctl restart exim4' --verify-at 127.0.0.1:25 mx1.example.net",
           "the same for Exim"}}},
        {"retire",
         {{"mxdane rollover retire mx1.example.net",
           "once DNS no longer shows the old record, move the old key to retired/"},
          {"mxdane rollover retire --delete-old mx1.example.net", "delete the old key instead"}}},
        {"emergency",
         {{"mxdane rollover emergency --reload 'postfix reload' mx1.example.net",
           "the key leaked: a new key, in service now; then publish only its record"},
          {"mxdane rollover emergency --ttl 3600 --reload 'postfix reload' mx1.example.net",
           "the same, saying how long caches keep the old record"}}},
        {"disable",
         {{"mxdane rollover disable mx1.example.net",
           "DANE for this host ends on purpose: then withdraw its TLSA RRset; auto no longer republishes it"}}},
        {"enable",
         {{"mxdane rollover enable mx1.example.net",
           "DANE again: the next auto pass publishes the record of the key in service"}}},
        {"auto",
         {{"mxdane rollover auto --config /etc/mxdane/mx1.example.net.conf mx1.example.net",
           "one pass: take whatever step is due (run it daily from a timer)"},
          {"mxdane rollover auto --nsupdate ns1.example.net --tsig-key /etc/mxdane/mx1.tsig --reload "
           "'postfix reload' mx1.example.net",
           "the same with the settings on the command line"}}},
    };
    for (auto* sub : rollover.get_subcommands([](CLI::App*) { return true; })) {
        if (const auto it = by_step.find(sub->get_name()); it != by_step.end()) {
            sub->footer(examples_footer(it->second));
        }
    }
}

} // namespace mxdane::cli
