// `dispatchctl search`: the order query (工单查询), as an account sees it: locally `--as`
// (default admin), or over the wire the logged-in account.
#include "projections/search.h"

#include <iostream>

#include "tools/dispatchctl/backend.h"
#include "tools/dispatchctl/output.h"
#include "tools/dispatchctl/subcommands.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;

// The same table as `folder`, with the creation time the results are ordered by.
void print_search(std::ostream& out, const AccountId& viewer, const json& page) {
  const json& orders = page.at("orders");
  out << "工单查询 search · as " << viewer.str() << " · " << orders.size() << " orders"
      << (page.at("next").is_null() ? "" : " on this page") << '\n';
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : orders) {
    const json& c = o.value("customer", json::object());
    rows.push_back({str(o, "order_id"), str(o, "kind"), str(o, "status"), str(o, "holder"),
                    str(c, "name"), str(c, "phone"), str(o, "created_at")});
  }
  if (rows.empty()) {
    out << "no orders match\n";
  } else {
    print_table(out,
                {"信息编号 order", "kind", "status", "holder", "客户 customer", "phone", "created"},
                rows);
  }
  if (!page.at("next").is_null()) out << "more: --after " << str(page, "next") << '\n';
}

}  // namespace

int run_search(const Args& args) {
  if (!args.positionals().empty()) {
    std::cerr << "dispatchctl: search takes only options (see dispatchctl search --help)\n";
    return kExitUsage;
  }
  // The filter as the wire names it, so both backends read it the same way.
  json filter = json::object();
  for (auto [flag, field] :
       {std::pair{"phone", "phone"}, std::pair{"name", "name"}, std::pair{"order-id", "order_id"},
        std::pair{"platform-order-id", "platform_order_id"}, std::pair{"platform", "platform"},
        std::pair{"status", "status"}, std::pair{"kind", "kind"}, std::pair{"from", "created_from"},
        std::pair{"to", "created_to"}}) {
    if (auto value = args.option(flag)) filter[field] = *value;
  }
  auto limit = args.count_or("limit", kDefaultFolderLimit);
  if (!limit) {
    std::cerr << "dispatchctl: --limit takes a number (see dispatchctl --help)\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code, MissingStore::refuse);
  if (!backend.ok()) return exit_code;
  const AccountId viewer((*backend)->actor());
  auto page = (*backend)->search(filter, *limit, args.option_or("after", ""));
  if (!page.ok()) return print_error(args, page.error());
  if (args.flag("json")) {
    std::cout << json_line(*page) << '\n';
  } else {
    print_search(std::cout, viewer, *page);
  }
  return kExitOk;
}

}  // namespace dispatch::ctl
