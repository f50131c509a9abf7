export { dispatchProxy, POLICY_DENIED, PROXY_METHODS, proxyCapabilities, ProxyRpcError, RESOURCE_NOT_FOUND, type ProxyHost } from "./dispatch";
