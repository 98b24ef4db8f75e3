// The web console of dispatchd: the outlet's screens and the technician's phone view, one app.
import { boot } from "./app";
import { registerOrderRoutes } from "./order";
import { registerOutletRoutes } from "./outlet";
import { registerTechRoutes } from "./tech";

registerOutletRoutes();
registerOrderRoutes();
registerTechRoutes();
void boot(document.getElementById("app")!);
