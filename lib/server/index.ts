export { createServices } from "./services";
export { installServices, services } from "./slot";
export type { ServiceOverrides, Services } from "./types";
export { withAuth, withErrors, jsonBody, type HandlerContext, type PublicContext } from "./with-auth";
