export * from "./upstreams";
export * from "./builtin";
